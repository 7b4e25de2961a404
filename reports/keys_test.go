package reports_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers/counter"
	"github.com/ddbbench/ddbbench/checkers/echo"
	"github.com/ddbbench/ddbbench/checkers/kafka"
	"github.com/ddbbench/ddbbench/checkers/linearizable"
	"github.com/ddbbench/ddbbench/checkers/set"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/checkers/unique"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/suite"
)

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestEveryKeyIsSnakeCase walks every type results.json and matrix.json
// are made of, the checkers' evidence included: each field must have an
// explicit snake_case key, and no field may be a time.Duration, whose JSON
// is a count of nanoseconds under a key that does not say so.
func TestEveryKeyIsSnakeCase(t *testing.T) {
	roots := []any{
		reports.Results{}, suite.Matrix{},
		// Evidence, which results.json holds as "any".
		echo.Evidence{}, kafka.Evidence{}, set.Evidence{}, counter.Evidence{}, unique.Evidence{},
		linearizable.Violation{}, linearizable.TimedOut{}, linearizable.OpError{},
		stats.AvailabilityEvidence{}, stats.EveryFEvidence{},
	}
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if typ == reflect.TypeOf(time.Duration(0)) {
			t.Errorf("%s is a time.Duration: give it a number with its unit in the key (_s, _ms, _ns)", path)
			return
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Map:
			walk(typ.Elem(), path+"{}")
		case reflect.Struct:
			if _, custom := reflect.PointerTo(typ).MethodByName("MarshalJSON"); custom {
				return // encodes itself (kafka.Pair: [offset, msg])
			}
			for i := range typ.NumField() {
				f := typ.Field(i)
				if !f.IsExported() {
					continue
				}
				tag := f.Tag.Get("json")
				name, _, _ := strings.Cut(tag, ",")
				switch {
				case name == "-":
					continue
				case tag == "":
					t.Errorf("%s.%s has no json key: it would be written %q", path, f.Name, f.Name)
				case !snake.MatchString(name):
					t.Errorf("%s.%s is written %q, which is not snake_case", path, f.Name, name)
				}
				walk(f.Type, path+"."+name)
			}
		}
	}
	for _, r := range roots {
		typ := reflect.TypeOf(r)
		walk(typ, typ.String())
	}
}
