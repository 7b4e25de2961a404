package jsonval

import (
	"encoding/json"
	"testing"
)

func TestCanonEquivalences(t *testing.T) {
	same := [][]any{
		{3, int64(3), float64(3), json.Number("3"), json.Number("3.0"), uint8(3), json.RawMessage("3")},
		{-7, json.Number("-7"), float64(-7)},
		{0.5, json.Number("0.5"), float32(0.5)},
		{"x", json.RawMessage(`"x"`)},
		{[]int{1, 2}, []any{int64(1), float64(2)}, []any{json.Number("1"), json.Number("2")}, json.RawMessage("[1, 2]")},
		{map[string]any{"b": 1, "a": []any{"z"}}, map[string]any{"a": []string{"z"}, "b": float64(1)}, json.RawMessage(`{"b":1,"a":["z"]}`)},
		{nil, json.RawMessage("null")},
		{json.Number("1e20"), float64(1e20), json.Number("100000000000000000000")},
		{struct {
			A int `json:"a"`
		}{4}, map[string]any{"a": 4}},
	}
	for _, group := range same {
		want := Canon(group[0])
		for _, v := range group[1:] {
			if got := Canon(v); got != want {
				t.Errorf("Canon(%#v) = %s, want %s (as %#v)", v, got, want, group[0])
			}
		}
	}
	different := [][2]any{
		{1, "1"},
		{json.Number("9007199254740993"), json.Number("9007199254740992")},
		{json.Number("18446744073709551615"), json.Number("18446744073709551614")},
		{[]any{1, 2}, []any{2, 1}},
		{true, 1},
		{nil, 0},
		{0.1, 0.2},
	}
	for _, p := range different {
		if Canon(p[0]) == Canon(p[1]) {
			t.Errorf("Canon(%#v) == Canon(%#v) = %s", p[0], p[1], Canon(p[0]))
		}
	}
}

func TestDecodeKeepsLargeIntegers(t *testing.T) {
	v, err := Decode([]byte(`[9007199254740993, 18446744073709551615, 1.5, 2.0, "s", {"k": 7}]`))
	if err != nil {
		t.Fatal(err)
	}
	list := v.([]any)
	if list[0] != int64(9007199254740993) {
		t.Errorf("int64 came back as %#v", list[0])
	}
	if list[1] != json.Number("18446744073709551615") {
		t.Errorf("big integer came back as %#v", list[1])
	}
	if list[2] != 1.5 || list[3] != int64(2) || list[4] != "s" {
		t.Errorf("got %#v", list)
	}
	if m := list[5].(map[string]any); m["k"] != int64(7) {
		t.Errorf("nested number came back as %#v", m["k"])
	}
	if _, err := Decode([]byte(`1 2`)); err == nil {
		t.Error("trailing data accepted")
	}
	if _, err := Decode([]byte(`{`)); err == nil {
		t.Error("broken JSON accepted")
	}
}

func TestInt64(t *testing.T) {
	ok := map[any]int64{
		7: 7, int64(-3): -3, float64(4): 4, json.Number("12"): 12, json.Number("12.0"): 12, uint64(9): 9,
	}
	for v, want := range ok {
		if got, good := Int64(v); !good || got != want {
			t.Errorf("Int64(%#v) = %d, %v; want %d", v, got, good, want)
		}
	}
	for _, v := range []any{1.5, json.Number("1.5"), "3", nil, json.Number("18446744073709551615"), uint64(1 << 63), float64(1e19)} {
		if got, good := Int64(v); good {
			t.Errorf("Int64(%#v) = %d, want not an int64", v, got)
		}
	}
}

func TestLessOrdersNumbersNumerically(t *testing.T) {
	vs := []any{"b", json.Number("10"), 2, nil, float64(2.5), "a", true, json.Number("18446744073709551615"), []any{1}, false, -1}
	Sort(vs)
	want := []string{"null", "false", "true", "-1", "2", "2.5", "10", "18446744073709551615", `"a"`, `"b"`, "[1]"}
	for i, v := range vs {
		if Canon(v) != want[i] {
			t.Fatalf("sorted = %v, want %v", vs, want)
		}
	}
}

func TestElementsAndObject(t *testing.T) {
	if es, ok := Elements([]int{1, 2}); !ok || len(es) != 2 || es[1] != 2 {
		t.Errorf("Elements([]int) = %v, %v", es, ok)
	}
	if es, ok := Elements(json.RawMessage(`[1,"x"]`)); !ok || len(es) != 2 || es[1] != "x" {
		t.Errorf("Elements(raw) = %v, %v", es, ok)
	}
	for _, v := range []any{nil, "abc", 3, []byte("xy"), map[string]any{}, []int(nil)} {
		if _, ok := Elements(v); ok {
			t.Errorf("Elements(%#v) accepted", v)
		}
	}
	if m, ok := Object(map[string]int64{"a": 1}); !ok || m["a"] != int64(1) {
		t.Errorf("Object(map[string]int64) = %v, %v", m, ok)
	}
	if _, ok := Object([]any{}); ok {
		t.Error("Object accepted an array")
	}
}
