package schema

import (
	"strings"
	"testing"
)

const person = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "a person",
  "type": "object",
  "required": ["name", "age", "valid"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z_]+$"},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "height_m": {"type": ["number", "null"]},
    "valid": {"enum": ["true", "false", "unknown"]},
    "format": {"const": 2},
    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "scores": {"type": "object", "additionalProperties": {"$ref": "#/$defs/score"}},
    "home": {"$ref": "place.json#/$defs/place"},
    "extra": true
  },
  "$defs": {
    "score": {"type": "object", "required": ["n"], "additionalProperties": false, "properties": {"n": {"type": "integer"}}}
  }
}`

const place = `{"$defs": {"place": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}}`

func compilePerson(t *testing.T) *Schema {
	t.Helper()
	s, err := Compile(map[string][]byte{"person.json": []byte(person), "place.json": []byte(place)}, "person.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccepts(t *testing.T) {
	s := compilePerson(t)
	for _, doc := range []string{
		`{"name": "ada", "age": 36, "valid": "true"}`,
		`{"name": "ada", "age": 36.0, "valid": "unknown", "height_m": null}`,
		`{"name": "ada_l", "age": 0, "valid": "false", "height_m": 1.65, "format": 2.0, "tags": ["x"]}`,
		`{"name": "ada", "age": 150, "valid": "true", "scores": {"a": {"n": 1}, "b/c": {"n": -3}}}`,
		`{"name": "ada", "age": 1, "valid": "true", "home": {"city": "London", "zip": 1}, "extra": [1, {"a": null}]}`,
	} {
		if err := s.Validate([]byte(doc)); err != nil {
			t.Errorf("rejected %s: %v", doc, err)
		}
	}
}

func TestRejects(t *testing.T) {
	s := compilePerson(t)
	for _, tc := range []struct{ doc, want string }{
		{`{"age": 3, "valid": "true"}`, `/: lacks required key "name"`},
		{`{"name": "ada", "age": 3, "valid": true}`, `/valid: is true, want one of "true", "false", "unknown"`},
		{`{"name": "ada", "age": 3.5, "valid": "true"}`, `/age: is a number, want integer`},
		{`{"name": "ada", "age": -1, "valid": "true"}`, `/age: is -1, below the minimum 0`},
		{`{"name": "ada", "age": 151, "valid": "true"}`, `above the maximum 150`},
		{`{"name": "Ada", "age": 3, "valid": "true"}`, `/name: is "Ada", which does not match`},
		{`{"name": "ada", "age": 3, "valid": "true", "Age": 3}`, `/Age: unexpected key`},
		{`{"name": "ada", "age": 3, "valid": "true", "format": 1}`, `/format: is 1, want 2`},
		{`{"name": "ada", "age": 3, "valid": "true", "tags": []}`, `/tags: has 0 items, want at least 1`},
		{`{"name": "ada", "age": 3, "valid": "true", "tags": [1]}`, `/tags/0: is an integer, want string`},
		{`{"name": "ada", "age": 3, "valid": "true", "height_m": "tall"}`, `/height_m: is a string, want number or null`},
		{`{"name": "ada", "age": 3, "valid": "true", "scores": {"a/b": {"n": 1, "m": 2}}}`, `/scores/a~1b/m: unexpected key`},
		{`{"name": "ada", "age": 3, "valid": "true", "home": {}}`, `/home: lacks required key "city"`},
		{`[]`, `/: is an array, want object`},
		{`{"name": "ada"} {}`, `more than one value`},
		{`{"name": `, `not JSON`},
	} {
		err := s.Validate([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.doc, err, tc.want)
		}
	}
}

func TestManyViolationsAreCapped(t *testing.T) {
	s := compilePerson(t)
	doc := `{"name": "ada", "age": 3, "valid": "true", "tags": [` + strings.Repeat("1,", 40) + `1]}`
	err, ok := s.Validate([]byte(doc)).(*Error)
	if !ok || len(err.Violations) != maxErrors || err.More != 41-maxErrors {
		t.Fatalf("got %v", err)
	}
}

func TestSchemasThatSayMoreThanIsCheckedAreRefused(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{`{"type": "object", "oneOf": []}`, `keyword "oneOf" is not supported`},
		{`{"type": "strung"}`, `unknown type`},
		{`{"$ref": "#/$defs/nothing"}`, `names no definition`},
		{`{"$ref": "#/properties/a"}`, `only references to a $defs entry`},
		{`{"$ref": "#/$defs/a", "type": "object", "$defs": {"a": true}}`, `keep references alone`},
		{`{"properties": {"a": {"$defs": {}}}}`, `$defs must be an object at the document's root`},
		{`{"pattern": "("}`, `missing closing`},
		{`[]`, `a schema must be an object or a boolean`},
	} {
		_, err := Compile(map[string][]byte{"s.json": []byte(tc.schema)}, "s.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.schema, err, tc.want)
		}
	}
}
