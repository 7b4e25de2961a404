package elle

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// Anomalies that make a verdict unknown rather than invalid (Elle's
// unknown-anomaly-types).
const (
	emptyGraph    = "empty-transaction-graph"
	searchTimeout = "cycle-search-timeout"
)

// Evidence is the checker's machine-readable result.
type Evidence struct {
	Workload string   `json:"workload"`
	Models   []string `json:"consistency_models"`
	Extra    []string `json:"anomalies_checked,omitempty"` // Options.Anomalies
	// AnomalyTypes are the anomalies found that the models forbid, plus
	// those that make the verdict unknown, sorted (Elle's :anomaly-types).
	AnomalyTypes []string `json:"anomaly_types,omitempty"`
	// Anomalies holds up to MaxCases cases of each of those types;
	// AnomalyCounts how many there were.
	Anomalies     map[string][]Case `json:"anomalies,omitempty"`
	AnomalyCounts map[string]int    `json:"anomaly_counts,omitempty"`
	// OtherAnomalies are anomalies found that the models allow.
	OtherAnomalies map[string]int `json:"other_anomalies,omitempty"`
	// Not are the weakest models the anomalies rule out, AlsoNot the
	// stronger ones (Elle's :not and :also-not), by all anomalies found.
	Not     []string `json:"not,omitempty"`
	AlsoNot []string `json:"also_not,omitempty"`
	// Violated are the requested models the history violates.
	Violated []string `json:"violated,omitempty"`
	// Strongest are the strongest models, among the requested ones and
	// those they imply, that the history may still satisfy: nothing the
	// checker could see rules them out. Only the models whose cycles the
	// checker tests exactly count (read-uncommitted, read-committed,
	// repeatable-read, snapshot-isolation, serializable, their session and
	// strong variants, strict-serializable); those whose anomalies need
	// process or real-time edges the checker did not build are left out.
	Strongest []string `json:"strongest_possible,omitempty"`

	Transactions int    `json:"transactions"`
	OK           int    `json:"ok"`
	Info         int    `json:"info"`
	Fail         int    `json:"fail"`
	Keys         int    `json:"keys"`
	Edges        int    `json:"edges"`
	Components   int    `json:"components"`      // strongly connected components with a cycle
	OrderEdges   string `json:"order,omitempty"` // "realtime", "process" or empty
	Error        string `json:"error,omitempty"` // why the history could not be analysed
}

func check(h history.History, o Options) checkers.Result {
	ev := &Evidence{Workload: o.Workload, Models: o.Models, Extra: o.Anomalies}
	p, err := parse(h, o.Workload)
	if err != nil {
		ev.Error = err.Error()
		return checkers.Result{Valid: checkers.Unknown, Summary: "unknown: cannot analyse the history: " + err.Error(), Evidence: ev}
	}
	var found anomalies
	var b *graphBuilder
	var ex dataExplainer
	var perr error
	if o.Workload == ListAppend {
		var a *appendAnalysis
		if a, perr = analyzeListAppend(p); perr == nil {
			found, b, ex = a.anomalies, &a.b, a
		}
	} else {
		var a *regAnalysis
		if a, perr = analyzeRWRegister(p); perr == nil {
			found, b, ex = a.anomalies, &a.b, a
		}
	}
	if perr != nil {
		ev.Error = perr.Error()
		return checkers.Result{Valid: checkers.Unknown, Summary: "unknown: cannot analyse the history: " + perr.Error(), Evidence: ev}
	}

	prohibited := prohibitedAnomalies(o.Models)
	for a := range reach(impliedAnomalies.in, o.Anomalies) {
		prohibited[a] = true
	}
	// Real-time edges when a requested model forbids a real-time anomaly,
	// else process edges when one forbids a process anomaly (Elle's
	// additional-graphs: real-time order contains process order).
	for a := range prohibited {
		if strings.HasSuffix(a, "-realtime") {
			ev.OrderEdges = "realtime"
			break
		}
		if strings.HasSuffix(a, "-process") {
			ev.OrderEdges = "process"
		}
	}
	switch ev.OrderEdges {
	case "realtime":
		addRealtimeEdges(p, b)
	case "process":
		addProcessEdges(p, b)
	}
	g := b.build(len(p.txns))
	if o.Workload == ListAppend {
		g.explainOrder(relWW, relWR, relRW, relProcess, relRealtime)
	} else {
		g.explainOrder(relWR, relWW, relRW, relProcess, relRealtime)
	}
	if g.edgeCount() == 0 {
		found.add(Case{Type: emptyGraph, pos: -1, Explanation: "no dependency between any two transactions could be inferred, so no cycle can be found; the history says too little"})
	}
	comps := g.sccs(relAutomaton(relData|relProcess|relRealtime), nil)
	for _, comp := range comps {
		for _, c := range componentCases(p, g, ex, comp, o.SearchBudget) {
			found.add(c)
		}
	}

	for i := range p.txns {
		switch p.txns[i].status {
		case history.OK:
			ev.OK++
		case history.Info:
			ev.Info++
		default:
			ev.Fail++
		}
	}
	ev.Transactions, ev.Keys, ev.Edges, ev.Components = len(p.txns), len(p.keys), g.edgeCount(), len(comps)
	return verdict(found, prohibited, o, ev)
}

// verdict is elle.txn/result-map, plus the models violated and the
// strongest the history may still satisfy.
func verdict(found anomalies, prohibited map[string]bool, o Options, ev *Evidence) checkers.Result {
	all := make([]string, 0, len(found))
	for t := range found {
		all = append(all, t)
	}
	sort.Strings(all)
	reportable := map[string]bool{}
	for _, t := range all {
		if prohibited[t] || t == emptyGraph || t == searchTimeout {
			reportable[t] = true
		}
	}
	// A cycle-exists anomaly adds nothing when a specific anomaly already
	// rules out its model.
	var specific []string
	for t := range reportable {
		if _, ok := cycleExistsModel(t); !ok {
			specific = append(specific, t)
		}
	}
	explained := modelsRuledOut(specific)
	for t := range reportable {
		if m, ok := cycleExistsModel(t); ok && explained[m] {
			delete(reportable, t)
		}
	}
	valid := checkers.Valid
	for t := range reportable {
		if prohibited[t] {
			valid = checkers.Invalid
		} else if valid == checkers.Valid {
			valid = checkers.Unknown
		}
	}
	ev.AnomalyTypes = keys(reportable)
	ev.Anomalies, ev.AnomalyCounts = map[string][]Case{}, map[string]int{}
	for _, t := range ev.AnomalyTypes {
		cs := found[t]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].pos < cs[j].pos })
		ev.AnomalyCounts[t] = len(cs)
		if len(cs) > o.MaxCases {
			cs = cs[:o.MaxCases]
		}
		ev.Anomalies[t] = cs
	}
	for _, t := range all {
		if !reportable[t] {
			if ev.OtherAnomalies == nil {
				ev.OtherAnomalies = map[string]int{}
			}
			ev.OtherAnomalies[t] = len(found[t])
		}
	}
	ev.Not, ev.AlsoNot = boundary(all)

	ruledOut := modelsRuledOut(all)
	for _, m := range o.Models {
		if ruledOut[canonical(m)] {
			ev.Violated = append(ev.Violated, m)
		}
	}
	candidates := map[string]bool{}
	implied := impliedModels(o.Models)
	for _, spec := range cycleExistsSpecs {
		if m := spec.model; implied[m] && !ruledOut[m] && checkable(m, ev.OrderEdges) {
			candidates[m] = true
		}
	}
	for m := range strongest(candidates) {
		ev.Strongest = append(ev.Strongest, friendly(m))
	}
	sort.Strings(ev.Strongest)
	return checkers.Result{Valid: valid, Summary: summary(valid, ev), Evidence: ev}
}

// checkable: could the analysis have seen every anomaly the model forbids?
// Not if it forbids none this checker looks for, nor if it forbids process
// or real-time anomalies and those edges were not built.
func checkable(model, order string) bool {
	forbids := prohibitedAnomalies([]string{model})
	if len(forbids) == 0 {
		return false // a single-object model such as linearizable: not judged here
	}
	for a := range forbids {
		if strings.HasSuffix(a, "-realtime") && order != "realtime" ||
			strings.HasSuffix(a, "-process") && order != "process" {
			return false
		}
	}
	return true
}

func summary(valid checkers.Validity, ev *Evidence) string {
	models := strings.Join(append(append([]string(nil), ev.Models...), ev.Extra...), ", ")
	var b strings.Builder
	switch valid {
	case checkers.Valid:
		fmt.Fprintf(&b, "valid under %s: %d transactions (%d ok, %d info, %d failed), no anomaly the models forbid",
			models, ev.Transactions, ev.OK, ev.Info, ev.Fail)
	case checkers.Invalid:
		fmt.Fprintf(&b, "invalid: %s", countList(ev.AnomalyTypes, ev.AnomalyCounts))
		if len(ev.Violated) > 0 {
			fmt.Fprintf(&b, "; violates %s", strings.Join(ev.Violated, ", "))
		}
	default:
		fmt.Fprintf(&b, "unknown under %s: %s", models, countList(ev.AnomalyTypes, ev.AnomalyCounts))
	}
	if len(ev.Not) > 0 {
		fmt.Fprintf(&b, "; not %s", strings.Join(ev.Not, ", "))
	}
	if valid != checkers.Valid || len(ev.Not) > 0 {
		if len(ev.Strongest) > 0 {
			fmt.Fprintf(&b, "; may still be %s", strings.Join(ev.Strongest, ", "))
		} else {
			b.WriteString("; no checked model may still hold")
		}
	}
	return b.String()
}

func countList(types []string, counts map[string]int) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s ×%d", t, counts[t])
	}
	return strings.Join(parts, ", ")
}
