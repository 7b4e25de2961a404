// Package echo is Maelstrom's echo workload: clients send echo messages with
// a payload and expect echo_ok carrying the same payload back.
//
//	{"type":"echo","echo":"Please echo 35"} -> {"type":"echo_ok","echo":"Please echo 35"}
package echo

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddbbench/ddbbench/checkers"
	echocheck "github.com/ddbbench/ddbbench/checkers/echo"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

// Config shapes the load.
type Config struct {
	// Payloads is how many distinct payloads to draw from: "Please echo 0"
	// to "Please echo Payloads-1". Maelstrom uses 128.
	Payloads int
}

// DefaultConfig is Maelstrom's.
func DefaultConfig() Config { return Config{Payloads: 128} }

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	if c.Payloads < 1 {
		return fmt.Errorf("echo: payload count must be at least 1, got %d", c.Payloads)
	}
	return nil
}

// Workload generates echo operations.
type Workload struct{ cfg Config }

// New returns the workload; a zero Payloads means the default.
func New(cfg Config) *Workload {
	if cfg.Payloads < 1 {
		cfg.Payloads = DefaultConfig().Payloads
	}
	return &Workload{cfg: cfg}
}

// Checkers are the checkers that judge this workload's history.
func Checkers(Config) []checkers.Checker {
	return []checkers.Checker{echocheck.New(echocheck.Options{})}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "echo" }

// Generate implements workloads.Workload.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	return &history.Op{F: "echo", Value: fmt.Sprintf("Please echo %d", rng.IntN(w.cfg.Payloads))}
}

// Final implements workloads.Workload: echo has no final phase.
func (w *Workload) Final() []*history.Op { return nil }

type echoBody struct {
	Echo any `json:"echo"`
}

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	return "echo", echoBody{Echo: op.Value}
}

// Complete implements workloads.Workload. The payload that came back is
// recorded as it is, for the checker to compare; a reply without one does
// not fit the protocol.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if resp.Type != "echo_ok" {
		return fmt.Errorf("expected an echo_ok reply to echo, got %s", resp.Type)
	}
	echo, err := workloads.ReplyField(resp, "echo")
	if err != nil {
		return err
	}
	v, err := jsonval.Decode(echo)
	if err != nil {
		return fmt.Errorf("echo_ok \"echo\": %w", err)
	}
	op.Result = v
	return nil
}

// ErrorIsResult implements workloads.Workload: no error answers an echo.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }
