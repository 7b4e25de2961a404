// Package schema validates JSON documents against JSON Schema (draft
// 2020-12) documents restricted to the keywords ddbbench's own file formats
// use. A schema that uses any other keyword is refused when compiled, so a
// schema can never seem to say more than is checked.
//
// Supported: type, enum, const, properties, required,
// additionalProperties, items, minimum, maximum, minItems, pattern, $ref
// to a $defs entry of the same or another compiled document, $defs, and
// the annotations $schema, $id, $comment, title and description.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Schema is a compiled schema.
type Schema struct {
	root *node
}

// node is one compiled (sub)schema.
type node struct {
	set   *docSet
	doc   string // the document it belongs to, for its refs
	ptr   string // its JSON pointer in that document, for messages
	whole *bool  // true or false as a whole schema

	types       []string
	enum        []any
	constant    any
	hasConst    bool
	properties  map[string]*node
	required    []string
	additional  *node // nil: anything
	items       *node
	minimum     *big.Float
	maximum     *big.Float
	minItems    *int
	pattern     *regexp.Regexp
	ref         string // "doc#/$defs/name", resolved at validation
	refResolved *node
}

type docSet struct {
	defs map[string]map[string]*node // document -> $defs name -> schema
}

var annotations = map[string]bool{"$schema": true, "$id": true, "$comment": true, "title": true, "description": true}

var jsonTypes = map[string]bool{"null": true, "boolean": true, "object": true, "array": true, "number": true, "string": true, "integer": true}

// Compile compiles the schema named main among docs (document name ->
// JSON text). A $ref is "#/$defs/NAME" within a document or
// "OTHER#/$defs/NAME" into another of docs.
func Compile(docs map[string][]byte, main string) (*Schema, error) {
	set := &docSet{defs: map[string]map[string]*node{}}
	var roots = map[string]*node{}
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var v any
		dec := json.NewDecoder(bytes.NewReader(docs[name]))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		root, err := compile(set, name, "", v)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		roots[name] = root
	}
	root, ok := roots[main]
	if !ok {
		return nil, fmt.Errorf("schema %s: not among the documents given", main)
	}
	// Resolve every reference now, so that a dangling one is an error of
	// the schema rather than of the first document that reaches it.
	for _, name := range names {
		if err := resolve(roots[name], map[*node]bool{}); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	return &Schema{root: root}, nil
}

func compile(set *docSet, doc, ptr string, v any) (*node, error) {
	n := &node{set: set, doc: doc, ptr: ptr}
	if b, ok := v.(bool); ok {
		n.whole = &b
		return n, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be an object or a boolean", at(ptr))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := obj[k]
		here := ptr + "/" + k
		var err error
		switch k {
		case "type":
			n.types, err = compileTypes(val)
		case "enum":
			list, ok := val.([]any)
			if !ok || len(list) == 0 {
				err = errors.New("enum must be a non-empty array")
			}
			n.enum = list
		case "const":
			n.constant, n.hasConst = val, true
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				err = errors.New("properties must be an object")
				break
			}
			n.properties = map[string]*node{}
			for name, sub := range props {
				if n.properties[name], err = compile(set, doc, here+"/"+name, sub); err != nil {
					return nil, err
				}
			}
		case "required":
			list, ok := val.([]any)
			if !ok {
				err = errors.New("required must be an array of strings")
				break
			}
			for _, r := range list {
				s, ok := r.(string)
				if !ok {
					err = errors.New("required must be an array of strings")
					break
				}
				n.required = append(n.required, s)
			}
		case "additionalProperties":
			n.additional, err = compile(set, doc, here, val)
		case "items":
			n.items, err = compile(set, doc, here, val)
		case "minimum", "maximum":
			num, ok := val.(json.Number)
			if !ok {
				err = fmt.Errorf("%s must be a number", k)
				break
			}
			f, _, perr := big.ParseFloat(string(num), 10, 200, big.ToNearestEven)
			if perr != nil {
				err = perr
				break
			}
			if k == "minimum" {
				n.minimum = f
			} else {
				n.maximum = f
			}
		case "minItems":
			num, ok := val.(json.Number)
			i, perr := strconv.Atoi(string(num))
			if !ok || perr != nil || i < 0 {
				err = errors.New("minItems must be a non-negative integer")
				break
			}
			n.minItems = &i
		case "pattern":
			s, ok := val.(string)
			if !ok {
				err = errors.New("pattern must be a string")
				break
			}
			n.pattern, err = regexp.Compile(s)
		case "$ref":
			s, ok := val.(string)
			if !ok {
				err = errors.New("$ref must be a string")
				break
			}
			n.ref, err = normalizeRef(doc, s)
		case "$defs":
			defs, ok := val.(map[string]any)
			if !ok || ptr != "" {
				err = errors.New("$defs must be an object at the document's root")
				break
			}
			if set.defs[doc] == nil {
				set.defs[doc] = map[string]*node{}
			}
			for name, sub := range defs {
				if set.defs[doc][name], err = compile(set, doc, here+"/"+name, sub); err != nil {
					return nil, err
				}
			}
		default:
			if !annotations[k] {
				err = fmt.Errorf("keyword %q is not supported by this validator", k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at(here), err)
		}
	}
	if n.ref != "" && len(keys) > 1 {
		for _, k := range keys {
			if k != "$ref" && !annotations[k] {
				return nil, fmt.Errorf("%s: $ref beside %q: keep references alone", at(ptr), k)
			}
		}
	}
	return n, nil
}

func compileTypes(v any) ([]string, error) {
	var list []any
	switch x := v.(type) {
	case string:
		list = []any{x}
	case []any:
		list = x
	default:
		return nil, errors.New("type must be a string or an array of strings")
	}
	var out []string
	for _, t := range list {
		s, ok := t.(string)
		if !ok || !jsonTypes[s] {
			return nil, fmt.Errorf("unknown type %v", t)
		}
		out = append(out, s)
	}
	return out, nil
}

func normalizeRef(doc, ref string) (string, error) {
	file, frag, ok := strings.Cut(ref, "#")
	if !ok || !strings.HasPrefix(frag, "/$defs/") || strings.Count(frag, "/") != 2 {
		return "", fmt.Errorf("$ref %q: only references to a $defs entry (\"#/$defs/NAME\" or \"FILE#/$defs/NAME\") are supported", ref)
	}
	if file == "" {
		file = doc
	}
	return file + "#" + frag, nil
}

func resolve(n *node, seen map[*node]bool) error {
	if n == nil || seen[n] {
		return nil
	}
	seen[n] = true
	if n.ref != "" {
		file, frag, _ := strings.Cut(n.ref, "#")
		target := n.set.defs[file][strings.TrimPrefix(frag, "/$defs/")]
		if target == nil {
			return fmt.Errorf("%s: $ref %s names no definition", at(n.ptr), n.ref)
		}
		n.refResolved = target
		if err := resolve(target, seen); err != nil {
			return err
		}
	}
	for _, p := range n.properties {
		if err := resolve(p, seen); err != nil {
			return err
		}
	}
	if err := resolve(n.additional, seen); err != nil {
		return err
	}
	if err := resolve(n.items, seen); err != nil {
		return err
	}
	for _, d := range n.set.defs[n.doc] {
		if err := resolve(d, seen); err != nil {
			return err
		}
	}
	return nil
}

func at(ptr string) string {
	if ptr == "" {
		return "#"
	}
	return "#" + ptr
}

// maxErrors bounds the violations one Validate reports.
const maxErrors = 20

// Error lists where a document breaks its schema.
type Error struct {
	Violations []string // "/checks/0/valid: ..." (JSON pointer: message)
	More       int      // violations beyond those listed
}

func (e *Error) Error() string {
	s := strings.Join(e.Violations, "; ")
	if e.More > 0 {
		s += fmt.Sprintf("; and %d more", e.More)
	}
	return s
}

// Validate checks one JSON document. It returns nil, a syntax error, or
// an *Error listing the violations.
func (s *Schema) Validate(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("not JSON: more than one value")
	}
	e := &Error{}
	s.root.validate(v, "", e)
	if len(e.Violations) > 0 {
		return e
	}
	return nil
}

func (e *Error) add(ptr, format string, args ...any) {
	if len(e.Violations) >= maxErrors {
		e.More++
		return
	}
	if ptr == "" {
		ptr = "/"
	}
	e.Violations = append(e.Violations, ptr+": "+fmt.Sprintf(format, args...))
}

func (n *node) validate(v any, ptr string, e *Error) {
	if n.whole != nil {
		if !*n.whole {
			e.add(ptr, "not allowed here")
		}
		return
	}
	if n.refResolved != nil {
		n.refResolved.validate(v, ptr, e)
		return
	}
	if len(n.types) > 0 && !hasType(v, n.types) {
		e.add(ptr, "is %s, want %s", typeOf(v), strings.Join(n.types, " or "))
		return
	}
	if n.hasConst && !equal(v, n.constant) {
		e.add(ptr, "is %s, want %s", show(v), show(n.constant))
	}
	if n.enum != nil {
		found := false
		for _, x := range n.enum {
			if equal(v, x) {
				found = true
				break
			}
		}
		if !found {
			var opts []string
			for _, x := range n.enum {
				opts = append(opts, show(x))
			}
			e.add(ptr, "is %s, want one of %s", show(v), strings.Join(opts, ", "))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range n.required {
			if _, ok := x[r]; !ok {
				e.add(ptr, "lacks required key %q", r)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := ptr + "/" + escape(k)
			if p, ok := n.properties[k]; ok {
				p.validate(x[k], sub, e)
			} else if n.additional != nil {
				if n.additional.whole != nil && !*n.additional.whole {
					e.add(sub, "unexpected key")
					continue
				}
				n.additional.validate(x[k], sub, e)
			}
		}
	case []any:
		if n.minItems != nil && len(x) < *n.minItems {
			e.add(ptr, "has %d items, want at least %d", len(x), *n.minItems)
		}
		if n.items != nil {
			for i, item := range x {
				n.items.validate(item, ptr+"/"+strconv.Itoa(i), e)
			}
		}
	case json.Number:
		f, _, err := big.ParseFloat(string(x), 10, 200, big.ToNearestEven)
		if err != nil {
			e.add(ptr, "is not a number: %v", err)
			return
		}
		if n.minimum != nil && f.Cmp(n.minimum) < 0 {
			e.add(ptr, "is %s, below the minimum %s", x, n.minimum.Text('g', -1))
		}
		if n.maximum != nil && f.Cmp(n.maximum) > 0 {
			e.add(ptr, "is %s, above the maximum %s", x, n.maximum.Text('g', -1))
		}
	case string:
		if n.pattern != nil && !n.pattern.MatchString(x) {
			e.add(ptr, "is %q, which does not match %s", x, n.pattern)
		}
	}
}

func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		if isInteger(x) {
			return "an integer"
		}
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func hasType(v any, types []string) bool {
	for _, t := range types {
		switch x := v.(type) {
		case nil:
			if t == "null" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case map[string]any:
			if t == "object" {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case json.Number:
			if t == "number" || t == "integer" && isInteger(x) {
				return true
			}
		}
	}
	return false
}

// isInteger reports whether a number has no fractional part, as JSON
// Schema's integer type means (1.0 is an integer).
func isInteger(n json.Number) bool {
	f, _, err := big.ParseFloat(string(n), 10, 200, big.ToNearestEven)
	return err == nil && f.IsInt()
}

// equal compares JSON values, numbers by value.
func equal(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, _, err1 := big.ParseFloat(string(x), 10, 200, big.ToNearestEven)
		fy, _, err2 := big.ParseFloat(string(y), 10, 200, big.ToNearestEven)
		return err1 == nil && err2 == nil && fx.Cmp(fy) == 0
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
