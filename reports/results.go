// Package reports writes what a run found: the results directory
// (results.json, history.jsonl, node logs, a human summary, checker
// artifacts) and the summaries printed at the end of a run.
package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/commitstats"
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/checkers/txnstats"
	"github.com/ddbbench/ddbbench/history"
)

// Format is the version of results.json's schema (docs/results.md). It
// changes whenever the schema does.
const Format = 3

// Results is the schema of results.json, documented in docs/results.md and
// checked by results.schema.json.
type Results struct {
	Format int    `json:"format"`
	Name   string `json:"name"`
	// Valid is the verdict: "true", "false" or "unknown" (one type, a
	// string). A run that ended with an error is never "true".
	Valid checkers.Validity `json:"valid"`
	Seed  int64             `json:"seed"`
	// Runtime is "sim" (the simulator) or "proc" (real processes).
	Runtime   string `json:"runtime"`
	StartedAt string `json:"started_at,omitempty"` // RFC 3339, UTC
	// Interrupted says the run was stopped early; Error, when present, why
	// it ended early on its own (a node misbehaved).
	Interrupted bool   `json:"interrupted"`
	Error       string `json:"error,omitempty"`
	// HistoryDigest hashes history.jsonl: equal digests, equal histories.
	HistoryDigest string  `json:"history_digest"`
	RunS          float64 `json:"run_s"`         // run time covered: virtual in the simulator
	WallS         float64 `json:"wall_s"`        // wall-clock time the run took
	Unstarted     int     `json:"unstarted_ops"` // arrivals the clients never got to

	// Availability is ok / invoked over the main phase; during faults, the
	// same over operations invoked while a fault was active. Null when
	// there were no such operations.
	Availability             *float64 `json:"availability"`
	AvailabilityDuringFaults *float64 `json:"availability_during_faults"`

	Rate    Rate           `json:"rate"`
	Latency latency.Report `json:"latency"`
	// StableLatency is, for the set workloads (broadcast, g-set), how long
	// an element took to be in every read: the figure Gossip Glomers' 3d
	// and 3e targets are stated in. Absent for other workloads.
	StableLatency    *StableLatency    `json:"stable_latency,omitempty"`
	Messages         Messages          `json:"messages"`
	ProtocolWarnings ProtocolWarnings  `json:"protocol_warnings"`
	Checks           []checkers.Result `json:"checks"`
	Stats            stats.Stats       `json:"stats"`
	// Transactions are the transaction statistics of a transactional
	// workload (bank), or of any run whose nodes reported waiting for
	// locks: throughput, aborts by cause, restarts, commit latency,
	// messages per commit.
	Transactions *txnstats.Stats `json:"transactions,omitempty"`
	// Commit are the commit figures of a run whose nodes reported their
	// commits: blocking per fault phase, protocol latency in message
	// delays, messages and forced log writes per commit, aborts by cause.
	Commit *commitstats.Stats `json:"commit,omitempty"`
	Faults []Fault            `json:"faults"`

	Config RunConfig `json:"config"`

	// NodeLogsCut lists the node process logs cut to --node-log-limit;
	// absent when none was.
	NodeLogsCut []LogCut `json:"node_logs_cut,omitempty"`
}

// LogCut is a node log that outgrew its limit (--node-log-limit): its
// middle was cut, its first and last halves kept.
type LogCut struct {
	Node         string `json:"node"`
	LimitBytes   int64  `json:"limit_bytes"`
	WrittenBytes int64  `json:"written_bytes"`
	CutBytes     int64  `json:"cut_bytes"`
}

// Fault is one nemesis action's active window.
type Fault struct {
	Kind   string `json:"kind"`             // "partition", "kill", ...
	Detail string `json:"detail,omitempty"` // what exactly: the grudge, the nodes
	// StartNS and EndNS are nanoseconds since the run's start (EndNS is
	// the run's end for a fault never healed).
	StartNS int64 `json:"start_ns"`
	EndNS   int64 `json:"end_ns"`
}

// FaultsOf records the nemesis's windows.
func FaultsOf(fs []history.Fault) []Fault {
	out := make([]Fault, len(fs))
	for i, f := range fs {
		out[i] = Fault{Kind: f.Kind, Detail: f.Detail, StartNS: f.Start, EndNS: f.End}
	}
	return out
}

// Rate is the open-loop load asked for and what the clients started, in
// operations per second of the main phase.
type Rate struct {
	Requested float64 `json:"requested_ops_per_s"`
	Achieved  float64 `json:"achieved_ops_per_s"`
}

// RateShortfall is how far below the requested rate a run may start
// operations before its summary warns that its figures describe a lighter
// load than asked for.
const RateShortfall = 0.05

// Short reports whether the achieved rate fell short of the request by more
// than RateShortfall.
func (r Rate) Short() bool { return r.Requested > 0 && r.Achieved < (1-RateShortfall)*r.Requested }

// Messages is what the network carried.
type Messages struct {
	Total          int64   `json:"total"`
	ServerToServer int64   `json:"server_to_server"`
	ClientServer   int64   `json:"client_server"`
	ServerService  int64   `json:"server_service"`
	Dropped        int64   `json:"dropped"`
	PerOp          float64 `json:"per_op"`        // all messages per client operation
	ServerPerOp    float64 `json:"server_per_op"` // server-to-server (and service) messages per operation
	Operations     int     `json:"operations"`    // the denominator: client operations invoked
	// ServerByType counts server-to-server messages by type; ForcedWrites
	// the syncs that made something durable (the simulator counts both).
	ServerByType map[string]int64 `json:"server_by_type,omitempty"`
	ForcedWrites int64            `json:"forced_writes,omitempty"`
}

// StableLatency summarizes the set checker's stable latencies: for each
// element that became stable, how long after it was known (acknowledged
// or first read) every read began to include it.
type StableLatency struct {
	Count int     `json:"count"` // elements with a stable latency
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Run is everything a run leaves in its directory.
type Run struct {
	Results Results
	History history.History
	Logs    map[string][]byte // node id -> log
	Files   map[string][]byte // extra artifacts, by file name
}

// NewRunDir makes store/<name>/<timestamp>/, never reusing one. It leaves
// store/latest alone: PointLatest moves it once the run is complete.
func NewRunDir(store, name string, now time.Time) (string, error) {
	base := filepath.Join(store, name)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	stamp := now.Format("20060102T150405.000")
	dir := filepath.Join(base, stamp)
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("store: %w", err)
		}
		dir = filepath.Join(base, fmt.Sprintf("%s-%d", stamp, i))
	}
	return dir, nil
}

// PointLatest points store/latest at dir, a complete run's directory, in
// one atomic rename: a reader sees the previous run or this one, never a
// run still being written. A failure is not worth failing the run for, so
// it is ignored.
func PointLatest(store, dir string) {
	latest := filepath.Join(store, "latest")
	target, err := filepath.Rel(store, dir)
	if err != nil {
		return
	}
	tmp := latest + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err == nil {
		_ = os.Rename(tmp, latest)
	}
}

// writeHistory writes history.jsonl and returns its digest, hashing as it
// writes: a large history is encoded once.
func writeHistory(path string, h history.History) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	werr := h.WriteJSONL(io.MultiWriter(f, sum))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return hex.EncodeToString(sum.Sum(nil)), werr
}

// Write writes a run's files into dir. It fills in the history digest
// when the results do not have it yet.
func Write(dir string, run *Run) error {
	var errs []error
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	digest, err := writeHistory(filepath.Join(dir, "history.jsonl"), run.History)
	if err != nil {
		errs = append(errs, err)
	}
	if run.Results.HistoryDigest == "" {
		run.Results.HistoryDigest = digest
	}
	run.Results.normalize()
	results, err := json.MarshalIndent(run.Results, "", "  ")
	if err != nil {
		errs = append(errs, fmt.Errorf("results.json: %w", err))
	} else {
		write("results.json", append(results, '\n'))
	}
	write("summary.txt", []byte(Summary(&run.Results, dir)))
	names := make([]string, 0, len(run.Files))
	for name := range run.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		write(name, run.Files[name])
	}
	if len(run.Logs) > 0 {
		logDir := filepath.Join(dir, "node-logs")
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			errs = append(errs, err)
		} else {
			for id, log := range run.Logs {
				write(filepath.Join("node-logs", id+".log"), log)
			}
		}
	}
	return errors.Join(errs...)
}

// normalize writes empty lists and maps where the schema wants them, never
// null.
func (r *Results) normalize() {
	if r.Format == 0 {
		r.Format = Format
	}
	if r.Checks == nil {
		r.Checks = []checkers.Result{}
	}
	if r.Faults == nil {
		r.Faults = []Fault{}
	}
	if r.ProtocolWarnings.ByKind == nil {
		r.ProtocolWarnings.ByKind = map[string]WarningKind{}
	}
	if r.Config.Nemesis == nil {
		r.Config.Nemesis = []string{}
	}
}

// AvailabilityOrZero is Availability, or 0 when no operation ran in the
// main phase.
func (r *Results) AvailabilityOrZero() float64 {
	if r.Availability == nil {
		return 0
	}
	return *r.Availability
}
