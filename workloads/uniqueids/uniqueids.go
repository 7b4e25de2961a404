// Package uniqueids is Maelstrom's unique-ids workload: clients ask nodes to
// generate IDs, and every ID must be globally unique. IDs may be any JSON
// value; integers are kept exact, however large.
//
//	{"type":"generate"} -> {"type":"generate_ok","id":123}
package uniqueids

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/checkers/unique"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Config shapes the load. The workload has nothing to configure; Maelstrom
// runs it with --availability total, which the harness checks separately.
type Config struct{}

// DefaultConfig is the only config.
func DefaultConfig() Config { return Config{} }

// Validate reports a config that cannot generate load.
func (Config) Validate() error { return nil }

// Workload generates generate operations.
type Workload struct{}

// New returns the workload.
func New(Config) *Workload { return &Workload{} }

// Checkers are the checkers that judge this workload's history.
func Checkers(Config) []checkers.Checker {
	return []checkers.Checker{unique.New(unique.Options{})}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "unique-ids" }

// Generate implements workloads.Workload.
func (w *Workload) Generate(*rand.Rand) *history.Op { return &history.Op{F: "generate"} }

// Final implements workloads.Workload: there is no final phase.
func (w *Workload) Final() []*history.Op { return nil }

// Request implements workloads.Workload.
func (w *Workload) Request(*history.Op) (string, any) { return "generate", struct{}{} }

// Complete implements workloads.Workload: the ID is recorded as the result.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if resp.Type != "generate_ok" {
		return fmt.Errorf("expected a generate_ok reply to generate, got %s", resp.Type)
	}
	body, err := maelstrom.Decode[map[string]json.RawMessage](resp)
	if err != nil {
		return err
	}
	raw, ok := body["id"]
	if !ok {
		return fmt.Errorf("generate_ok has no \"id\" field")
	}
	id, err := jsonval.Decode(raw)
	if err != nil {
		return fmt.Errorf("generate_ok \"id\": %w", err)
	}
	op.Result = id
	return nil
}

// ErrorIsResult implements workloads.Workload: no error answers a generate.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }
