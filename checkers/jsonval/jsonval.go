// Package jsonval compares and orders JSON values the way checkers need to,
// whatever Go types they arrive as. A value recorded in a history may be a Go
// value made in-process (int, []int, a struct), a value decoded from a node's
// reply (json.Number, []any, map[string]any), or the same value after a
// round trip through history.jsonl (float64). Canon maps all of them to one
// canonical string, so that 3, int64(3), float64(3), json.Number("3") and
// json.Number("3.0") are the same element of a set, while 9007199254740993
// and 9007199254740992 stay apart when they arrive exactly.
package jsonval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Decode parses JSON text into a generic value, keeping numbers exact:
// integers that fit int64 become int64, other integers stay json.Number,
// and fractions become float64.
func Decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return Normalize(v), nil
}

// Normalize rewrites the numbers inside a generic JSON value (as decoded
// with UseNumber) into int64 where they are integers that fit, float64 where
// they are fractions, and leaves larger integers as json.Number.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if isIntegerLiteral(string(x)) {
			return x
		}
		if f, err := x.Float64(); err == nil {
			if i, ok := floatInt64(f); ok {
				return i
			}
			return f
		}
		return x
	case []any:
		for i := range x {
			x[i] = Normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = Normalize(x[k])
		}
		return x
	}
	return v
}

func isIntegerLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// floatInt64 reports f as an int64 when it is an integer in int64's range.
func floatInt64(f float64) (int64, bool) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// Int64 returns v as an int64 when it is an integer that fits, whatever
// numeric type it has; fractions, strings and other values report false.
func Int64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case float32:
		return floatInt64(float64(x))
	case float64:
		return floatInt64(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if isIntegerLiteral(string(x)) {
			return 0, false // an integer, but too large
		}
		if f, err := x.Float64(); err == nil {
			return floatInt64(f)
		}
	}
	return 0, false
}

// IsNumber reports whether v is a JSON number of any Go type.
func IsNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, json.Number:
		return true
	}
	return false
}

// number returns v as an exact big.Float, for ordering numbers of any size.
func number(v any) (*big.Float, bool) {
	if i, ok := Int64(v); ok {
		return new(big.Float).SetInt64(i), true
	}
	switch x := v.(type) {
	case uint:
		return new(big.Float).SetUint64(uint64(x)), true
	case uint64:
		return new(big.Float).SetUint64(x), true
	case float32:
		return bigFloat(float64(x))
	case float64:
		return bigFloat(x)
	case json.Number:
		f, _, err := big.ParseFloat(string(x), 10, 256, big.ToNearestEven)
		if err == nil {
			return f, true
		}
	}
	return nil, false
}

func bigFloat(f float64) (*big.Float, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return new(big.Float).SetFloat64(f), true
}

// Canon is v's canonical JSON text: numbers in their shortest exact form
// (integers without a fraction), object keys sorted, no spaces. Two values
// are the same JSON value exactly when their Canon strings are equal.
func Canon(v any) string {
	var b strings.Builder
	canon(&b, v)
	return b.String()
}

func canon(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		b.WriteString(strconv.Quote(x))
	case json.RawMessage:
		if d, err := Decode(x); err == nil {
			canon(b, d)
		} else {
			b.WriteString(string(x))
		}
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			canon(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			canon(b, x[k])
		}
		b.WriteByte('}')
	default:
		if IsNumber(v) {
			b.WriteString(numberText(v))
			return
		}
		rv := reflect.ValueOf(v)
		if (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() != reflect.Uint8 {
			b.WriteByte('[')
			for i := range rv.Len() {
				if i > 0 {
					b.WriteByte(',')
				}
				canon(b, rv.Index(i).Interface())
			}
			b.WriteByte(']')
			return
		}
		// Anything else (structs, typed maps): through JSON.
		raw, err := json.Marshal(v)
		if err != nil {
			fmt.Fprintf(b, "%q", fmt.Sprintf("unencodable %T", v))
			return
		}
		d, err := Decode(raw)
		if err != nil {
			b.Write(raw)
			return
		}
		canon(b, d)
	}
}

func numberText(v any) string {
	if i, ok := Int64(v); ok {
		return strconv.FormatInt(i, 10)
	}
	switch x := v.(type) {
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case json.Number:
		s := string(x)
		if isIntegerLiteral(s) {
			return s
		}
		// A fraction compares as the float64 it would become after a round
		// trip through a history file.
		if f, err := x.Float64(); err == nil {
			return numberText(f)
		}
		return s
	}
	f, _ := number(v)
	if f == nil {
		return fmt.Sprint(v)
	}
	if f.IsInt() {
		i, _ := f.Int(nil)
		return i.String()
	}
	g, _ := f.Float64()
	return strconv.FormatFloat(g, 'g', -1, 64)
}

// Equal reports whether a and b are the same JSON value.
func Equal(a, b any) bool { return Canon(a) == Canon(b) }

// kind ranks values for Less: null, booleans, numbers, strings, then
// compound values.
func kind(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case string:
		return 3
	}
	if IsNumber(v) {
		if _, ok := number(v); ok {
			return 2
		}
	}
	return 4
}

// Less orders JSON values: by kind (null, false/true, numbers, strings,
// everything else), numbers numerically, strings lexically, and the rest by
// canonical text. It is a total order, for sorting evidence.
func Less(a, b any) bool {
	ka, kb := kind(a), kind(b)
	if ka != kb {
		return ka < kb
	}
	switch ka {
	case 1:
		return !a.(bool) && b.(bool)
	case 2:
		fa, _ := number(a)
		fb, _ := number(b)
		if c := fa.Cmp(fb); c != 0 {
			return c < 0
		}
	case 3:
		return a.(string) < b.(string)
	}
	return Canon(a) < Canon(b)
}

// Sort sorts values with Less.
func Sort(vs []any) {
	sort.SliceStable(vs, func(i, j int) bool { return Less(vs[i], vs[j]) })
}

// Elements returns v's elements when v is a JSON array of any Go slice or
// array type (other than []byte).
func Elements(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case nil:
		return nil, false
	case json.RawMessage:
		d, err := Decode(x)
		if err != nil {
			return nil, false
		}
		return Elements(d)
	}
	rv := reflect.ValueOf(v)
	if (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// Object returns v's fields when v is a JSON object: a map with string keys
// of any value type.
func Object(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case nil:
		return nil, false
	case json.RawMessage:
		d, err := Decode(x)
		if err != nil {
			return nil, false
		}
		return Object(d)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String || rv.IsNil() {
		return nil, false
	}
	out := make(map[string]any, rv.Len())
	iter := rv.MapRange()
	for iter.Next() {
		out[iter.Key().String()] = iter.Value().Interface()
	}
	return out, true
}
