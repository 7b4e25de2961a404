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
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/history"
)

// Results is the schema of results.json.
type Results struct {
	Name  string            `json:"name"`
	Valid checkers.Validity `json:"valid"`
	Seed  int64             `json:"seed"`
	// HistoryDigest hashes history.jsonl: equal digests, equal histories.
	HistoryDigest string `json:"history_digest"`
	// Availability is ok / invoked over the main phase; during faults, the
	// same over operations invoked while a fault was active (null if none).
	Availability             float64  `json:"availability"`
	AvailabilityDuringFaults *float64 `json:"availability_during_faults"`

	Rate     Rate              `json:"rate"`
	Latency  latency.Report    `json:"latency"`
	Messages Messages          `json:"messages"`
	Checks   []checkers.Result `json:"checks"`
	Stats    stats.Stats       `json:"stats"`
	Faults   []history.Fault   `json:"faults"`

	Runtime        string  `json:"runtime"` // "sim" or "proc"
	Config         any     `json:"config"`
	RunSeconds     float64 `json:"run_seconds"` // run time covered: virtual in the simulator
	WallSeconds    float64 `json:"wall_seconds"`
	Unstarted      int     `json:"unstarted_ops"` // arrivals the clients never got to
	Interrupted    bool    `json:"interrupted,omitempty"`
	Error          string  `json:"error,omitempty"`
	StartedAt      string  `json:"started_at"`
	DdbbenchFormat int     `json:"format"`
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
}

// Run is everything a run leaves in its directory.
type Run struct {
	Results Results
	History history.History
	Logs    map[string][]byte // node id -> log
	Files   map[string][]byte // extra artifacts, by file name
}

// NewRunDir makes store/<name>/<timestamp>/ (never reusing one) and points
// store/latest at it.
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
	latest := filepath.Join(store, "latest")
	target, err := filepath.Rel(store, dir)
	if err != nil {
		return "", err
	}
	tmp := latest + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err == nil {
		_ = os.Rename(tmp, latest)
	}
	return dir, nil
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
