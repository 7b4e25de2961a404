// Package checkers judges histories. Each checker returns a verdict (valid,
// invalid or unknown) with its evidence; verdicts compose so that invalid
// beats unknown beats valid.
package checkers

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ddbbench/ddbbench/history"
)

// Validity is a checker's verdict.
type Validity string

const (
	Valid   Validity = "valid"
	Invalid Validity = "invalid"
	Unknown Validity = "unknown"
)

func rank(v Validity) int {
	switch v {
	case Invalid:
		return 2
	case Unknown:
		return 1
	}
	return 0
}

// Merge composes verdicts: invalid beats unknown beats valid.
func Merge(vs ...Validity) Validity {
	out := Valid
	for _, v := range vs {
		if rank(v) > rank(out) {
			out = v
		}
	}
	return out
}

// MarshalJSON writes a verdict as one of the strings "true", "false" and
// "unknown": Jepsen's :valid? values, given one JSON type so that a reader
// never has to handle a boolean or a string in one field.
func (v Validity) MarshalJSON() ([]byte, error) {
	switch v {
	case Valid:
		return []byte(`"true"`), nil
	case Invalid:
		return []byte(`"false"`), nil
	case Unknown:
		return []byte(`"unknown"`), nil
	}
	return nil, fmt.Errorf("bad validity %q", string(v))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Validity) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		switch s {
		case "true":
			*v = Valid
			return nil
		case "false":
			*v = Invalid
			return nil
		case "unknown":
			*v = Unknown
			return nil
		}
	}
	return fmt.Errorf(`validity must be the string "true", "false" or "unknown", not %.40s`, b)
}

// ExitCode is Maelstrom's exit code for a verdict: 0 valid, 1 invalid,
// 2 unknown.
func (v Validity) ExitCode() int {
	switch v {
	case Invalid:
		return 1
	case Unknown:
		return 2
	}
	return 0
}

// Result is one checker's verdict with what supports it.
type Result struct {
	Checker  string   `json:"checker"`
	Valid    Validity `json:"valid"`
	Summary  string   `json:"summary"`            // one line a person can read
	Evidence any      `json:"evidence,omitempty"` // machine-readable detail: the failing key and operations, the lost elements, ...
	// Files are artifacts to write beside the results (name -> content),
	// such as Porcupine's visualization of a violation.
	Files map[string][]byte `json:"-"`
}

// Checker judges a history.
type Checker interface {
	Name() string
	Check(h history.History) Result
}

// Progress is how far a long check has got, for a progress display.
type Progress struct {
	Checker     string
	Done, Total int    // units checked so far, of all
	Unit        string // what a unit is ("keys")
	Elapsed     time.Duration
	// Slow names the unit that has been checked longest and is still
	// running ("key 57, 412 ops"), and for how long; empty when none runs.
	Slow    string
	SlowFor time.Duration
}
