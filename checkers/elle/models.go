package elle

import (
	"sort"
	"strings"
)

// The relations in this file are facts about the literature, recorded as
// Elle's elle.consistency-model records them, so that a history is judged
// the same way by both checkers. Sources: Adya (1999); Adya, Liskov &
// O'Neil, "Generalized Isolation Level Definitions" (ICDE 2000); Bailis et
// al., "Highly Available Transactions" (VLDB 2014); Cerone, Bernardi &
// Gotsman, "A Framework for Transactional Consistency Models with Atomic
// Visibility" (CONCUR 2015); Daudjee & Salem (ICDE 2004, VLDB 2006);
// Zuikeviciute & Pedone; Fekete et al., "Making Snapshot Isolation
// Serializable" (TODS 2005).

// dag is a small directed acyclic graph of names.
type dag struct{ out, in map[string][]string }

func newDAG(edges map[string][]string, rename func(string) string) dag {
	d := dag{out: map[string][]string{}, in: map[string][]string{}}
	for a, bs := range edges {
		for _, b := range bs {
			a, b := rename(a), rename(b)
			d.out[a] = append(d.out[a], b)
			d.in[b] = append(d.in[b], a)
			if _, ok := d.out[b]; !ok {
				d.out[b] = nil
			}
			if _, ok := d.in[a]; !ok {
				d.in[a] = nil
			}
		}
	}
	return d
}

func same(s string) string { return s }

// reach is every vertex reachable from the starts along next, starts
// included.
func reach(next map[string][]string, starts []string) map[string]bool {
	seen := map[string]bool{}
	stack := append([]string(nil), starts...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[v] {
			continue
		}
		seen[v] = true
		stack = append(stack, next[v]...)
	}
	return seen
}

// impliedAnomalies: a -> b when every history with a also has b. G1 is the
// union of G1a, G1b and G1c (Adya); process orders are single-threaded, so
// a process anomaly is also a real-time one; a -item anomaly is a special
// case of the predicate one.
var impliedAnomalies = newDAG(map[string][]string{
	"G0":          {"G1c", "G0-process"},
	"G0-process":  {"G1c-process", "G0-realtime"},
	"G0-realtime": {"G1c-realtime"},

	"G1a":          {"G1"},
	"G1b":          {"G1"},
	"G1c":          {"G1", "G1c-process"},
	"G1c-process":  {"G1c-realtime", "G1-process"},
	"G1c-realtime": {"G1-realtime"},
	"G1":           {"G1-process"},
	"G1-process":   {"G1-realtime"},

	"G-single-item":          {"G-single", "G-single-item-process", "G-nonadjacent-item"},
	"G-single-item-process":  {"G-single-process", "G-single-item-realtime", "G-nonadjacent-item-process"},
	"G-single-item-realtime": {"G-single-realtime", "G-nonadjacent-item-realtime"},

	"G-single":          {"G-nonadjacent", "GSIb", "G-single-process"},
	"G-single-process":  {"G-nonadjacent-process", "G-single-realtime"},
	"G-single-realtime": {"G-nonadjacent-realtime"},

	"G-nonadjacent-item":          {"G-nonadjacent", "G2-item", "G-nonadjacent-item-process"},
	"G-nonadjacent-item-process":  {"G-nonadjacent-process", "G2-item-process", "G-nonadjacent-item-realtime"},
	"G-nonadjacent-item-realtime": {"G2-item-realtime", "G-nonadjacent-realtime"},

	"G-nonadjacent":          {"G2", "G-nonadjacent-process"},
	"G-nonadjacent-process":  {"G2-process", "G-nonadjacent-realtime"},
	"G-nonadjacent-realtime": {"G2-realtime"},

	"G2":               {"G2-process"},
	"G2-item":          {"G2", "G2-item-process"},
	"G2-item-process":  {"G2-process", "G2-item-realtime"},
	"G2-item-realtime": {"G2-realtime"},
	"G2-process":       {"G2-realtime"},

	"GSIa": {"GSI"},
	"GSIb": {"GSI"},

	// Two committed reads that cannot come from one order of appends mean
	// some read saw state that never committed; a read of a transaction's
	// own later write is a one-transaction cycle; an update on top of an
	// aborted write is dirty like an aborted read (Elle's choices).
	"incompatible-order": {"G1a"},
	"future-read":        {"G1c"},
	"dirty-update":       {"G1a"},
	// Ours: Elle has no name for a read of a value nobody wrote. It came
	// from no committed transaction, so like the above it is taken as a
	// dirty read.
	"garbage-read": {"G1a"},

	// Lost update is a write skew on one key (Bailis), hence G2-item.
	"lost-update": {"write-skew", "G2-item"},
	"write-skew":  {"G2"},
}, same)

// severity orders anomalies that do not imply each other by how bad they
// are, so the cycle search looks for the worst first.
var severity = newDAG(map[string][]string{
	"G0":           {"G1c"},
	"G0-process":   {"G1c-process"},
	"G0-realtime":  {"G1c-realtime"},
	"G1c":          {"G-single", "G2-item"},
	"G1c-process":  {"G-single-process", "G2-item-process"},
	"G1c-realtime": {"G-single-realtime", "G2-item-realtime"},
	"G2":           {"G0-process"},
	"G2-process":   {"G0-realtime"},
}, same)

// canonicalNames maps the friendly names of models to Adya's.
var canonicalNames = map[string]string{
	"consistent-view":                 "PL-2+",
	"conflict-serializable":           "PL-3",
	"cursor-stability":                "PL-CS",
	"forward-consistent-view":         "PL-FCV",
	"monotonic-snapshot-read":         "PL-MSR",
	"monotonic-view":                  "PL-2L",
	"read-committed":                  "PL-2",
	"read-uncommitted":                "PL-1",
	"repeatable-read":                 "PL-2.99",
	"serializable":                    "PL-3",
	"snapshot-isolation":              "PL-SI",
	"strict-serializable":             "PL-SS",
	"strong-serializable":             "PL-SS",
	"update-serializable":             "PL-3U",
	"strong-session-read-uncommitted": "strong-session-PL-1",
	"strong-session-read-committed":   "strong-session-PL-2",
	"strong-read-uncommitted":         "strong-PL-1",
	"strong-read-committed":           "strong-PL-2",
}

// friendlyNames maps canonical names back; PL-3 and PL-SS have two
// friendly names each, and we say serializable and strict-serializable.
var friendlyNames = func() map[string]string {
	m := map[string]string{}
	for f, c := range canonicalNames {
		m[c] = f
	}
	m["PL-3"] = "serializable"
	m["PL-SS"] = "strict-serializable"
	return m
}()

func canonical(m string) string {
	if c, ok := canonicalNames[m]; ok {
		return c
	}
	return m
}

func friendly(m string) string {
	if f, ok := friendlyNames[m]; ok {
		return f
	}
	return m
}

// models: a -> b when a history satisfying a satisfies b.
var models = newDAG(map[string][]string{
	"causal-cerone":               {"read-atomic"},
	"consistent-view":             {"cursor-stability", "monotonic-view"},
	"conflict-serializable":       {"view-serializable"},
	"cursor-stability":            {"read-committed", "PL-2"},
	"forward-consistent-view":     {"consistent-view"},
	"PL-2":                        {"PL-1"},
	"PL-3":                        {"repeatable-read", "update-serializable"},
	"update-serializable":         {"forward-consistent-view"},
	"monotonic-atomic-view":       {"read-committed"},
	"monotonic-view":              {"PL-2"},
	"monotonic-snapshot-read":     {"PL-2"},
	"parallel-snapshot-isolation": {"causal-cerone", "update-atomic"},
	"prefix":                      {"causal-cerone"},
	"read-atomic":                 {"monotonic-atomic-view"},
	"read-committed":              {"read-uncommitted"},
	"repeatable-read":             {"cursor-stability", "monotonic-atomic-view"},
	"update-atomic":               {"read-atomic"},
	"serializable":                {"repeatable-read", "snapshot-isolation", "view-serializable"},
	"session-serializable":        {"1SR"},
	"snapshot-isolation":          {"forward-consistent-view", "monotonic-atomic-view", "monotonic-snapshot-read", "parallel-snapshot-isolation", "prefix"},
	"strict-serializable":         {"PL-3", "serializable", "linearizable", "snapshot-isolation", "strong-snapshot-isolation", "strong-session-serializable"},

	// Not in the literature, but the natural session and real-time
	// strengthenings of PL-1 and PL-2 (Elle's).
	"strong-session-PL-1": {"PL-1"},
	"strong-session-PL-2": {"PL-2", "strong-session-PL-1"},
	"strong-PL-1":         {"strong-session-PL-1"},
	"strong-PL-2":         {"strong-session-PL-2", "strong-PL-1"},

	"strong-session-serializable":       {"serializable", "strong-session-snapshot-isolation"},
	"strong-session-snapshot-isolation": {"snapshot-isolation", "strong-session-PL-2"},
	"strong-serializable":               {"session-serializable"},
	"strong-snapshot-isolation":         {"strong-session-snapshot-isolation", "strong-PL-2"},

	// Single-object models (Bailis).
	"linearizable": {"sequential"},
	"sequential":   {"causal"},
	"causal":       {"writes-follow-reads", "PRAM"},
	"PRAM":         {"monotonic-reads", "monotonic-writes", "read-your-writes"},
}, canonical)

// proscribed: the anomalies each (canonical) model forbids beyond those its
// weaker models forbid. A "-cycle-exists" anomaly is a cycle found by
// strongly connected components in the model's dependency subgraph.
var proscribed = func() map[string][]string {
	raw := map[string][]string{
		"causal-cerone":               {"internal", "G1a"},
		"cursor-stability":            {"G1", "G-cursor", "lost-update"},
		"monotonic-view":              {"G1", "G-monotonic"},
		"monotonic-snapshot-read":     {"G1", "G-MSR"},
		"consistent-view":             {"G1", "G-single"},
		"forward-consistent-view":     {"G1", "G-SIb"},
		"parallel-snapshot-isolation": {"internal", "G1a"},
		"PL-3":                        {"G1", "G2", "predicate-read-miss", "PL-3-cycle-exists"},
		"PL-2":                        {"G1", "PL-2-cycle-exists"},
		"PL-1":                        {"G0", "duplicate-elements", "cyclic-versions", "PL-1-cycle-exists"},
		"prefix":                      {"internal", "G1a"},
		"serializable":                {"internal"},
		// Generalized SI forbids every cycle whose rw edges are
		// nonadjacent, not only G-single (Cerone & Gotsman; Daudjee &
		// Salem).
		"snapshot-isolation":  {"internal", "G1", "G-SI", "G-nonadjacent", "PL-SI-cycle-exists"},
		"read-atomic":         {"internal", "G1a", "future-read"},
		"repeatable-read":     {"G1", "G2-item", "PL-2.99-cycle-exists", "lost-update"},
		"update-atomic":       {"lost-update"},
		"strict-serializable": {"G1", "G1c-realtime", "G2-realtime", "PL-SS-cycle-exists"},
		"strong-session-PL-1": {"strong-session-PL-1-cycle-exists", "G0-process"},
		"strong-session-PL-2": {"strong-session-PL-2-cycle-exists", "G1c-process"},
		"strong-PL-1":         {"strong-PL-1-cycle-exists", "G0-realtime"},
		"strong-PL-2":         {"strong-PL-2-cycle-exists", "G1c-realtime"},
		"strong-session-snapshot-isolation": {"internal", "G1-process", "G-nonadjacent-process",
			"strong-session-snapshot-isolation-cycle-exists"},
		"strong-snapshot-isolation": {"internal", "G1-realtime", "G-nonadjacent-realtime",
			"strong-snapshot-isolation-cycle-exists"},
		"strong-session-serializable": {"G1-process", "G2-process", "strong-session-serializable-cycle-exists"},
		"update-serializable":         {"G1", "G-update"},
	}
	out := map[string][]string{}
	for m, as := range raw {
		c := canonical(m)
		out[c] = append(out[c], as...)
	}
	return out
}()

// proscribers inverts proscribed: anomaly -> models forbidding it directly.
var proscribers = func() map[string][]string {
	m := map[string][]string{}
	for model, as := range proscribed {
		for _, a := range as {
			m[a] = append(m[a], model)
		}
	}
	return m
}()

// allModelNames is every name a user may give: the models of the
// hierarchy and both spellings of each.
var allModelNames = func() map[string]bool {
	m := map[string]bool{}
	for v := range models.out {
		m[v] = true
	}
	for f, c := range canonicalNames {
		m[f], m[c] = true, true
	}
	return m
}()

func knownModel(m string) bool { return allModelNames[m] }

// knownAnomaly: a name the anomaly relations or the checker know.
func knownAnomaly(a string) bool {
	if _, ok := impliedAnomalies.out[a]; ok || cycleTypes[a] {
		return true
	}
	if _, ok := proscribers[a]; ok {
		return true
	}
	return a == emptyGraph || a == searchTimeout
}

// ValidModels lists every consistency model name the checker accepts,
// sorted.
func ValidModels() []string {
	out := make([]string, 0, len(allModelNames))
	for m := range allModelNames {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func keys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func canonicalAll(ms []string) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = canonical(m)
	}
	return out
}

// impliedModels: the models, and every model they imply.
func impliedModels(ms []string) map[string]bool { return reach(models.out, canonicalAll(ms)) }

// impossibleModels expands models ruled out to every model implying them.
func impossibleModels(ms []string) map[string]bool { return reach(models.in, canonicalAll(ms)) }

// prohibitedAnomalies: anomalies that cannot occur if all the models hold.
func prohibitedAnomalies(ms []string) map[string]bool {
	var direct []string
	for m := range impliedModels(ms) {
		direct = append(direct, proscribed[m]...)
	}
	return reach(impliedAnomalies.in, direct)
}

// modelsRuledOut: the models that cannot hold given the anomalies.
func modelsRuledOut(anomalies []string) map[string]bool {
	var direct []string
	for a := range reach(impliedAnomalies.out, anomalies) {
		direct = append(direct, proscribers[a]...)
	}
	return impossibleModels(direct)
}

// weakest keeps the models of the set that imply no other model of it.
func weakest(set map[string]bool) map[string]bool { return extreme(set, models.out) }

// strongest keeps the models of the set that no other model of it implies.
func strongest(set map[string]bool) map[string]bool { return extreme(set, models.in) }

func extreme(set map[string]bool, dir map[string][]string) map[string]bool {
	out := map[string]bool{}
	for m := range set {
		covered := false
		for r := range reach(dir, []string{m}) {
			if r != m && set[r] {
				covered = true
				break
			}
		}
		if !covered {
			out[m] = true
		}
	}
	return out
}

// boundary is Elle's: the weakest models the anomalies rule out (not), and
// the stronger models ruled out with them (also-not), by friendly name.
func boundary(anomalies []string) (not, alsoNot []string) {
	out := modelsRuledOut(anomalies)
	w := weakest(out)
	for m := range out {
		if w[m] {
			not = append(not, friendly(m))
		} else {
			alsoNot = append(alsoNot, friendly(m))
		}
	}
	sort.Strings(not)
	sort.Strings(alsoNot)
	return not, alsoNot
}

// anomalyDepths orders anomalies for the search, fewest prerequisites
// first: the depth of each in the union of the implication and severity
// graphs (peeling sources layer by layer).
var anomalyDepths = func() map[string]int {
	edges := map[string]map[string]bool{}
	indeg := map[string]int{}
	add := func(d dag) {
		for a, bs := range d.out {
			if edges[a] == nil {
				edges[a] = map[string]bool{}
			}
			if _, ok := indeg[a]; !ok {
				indeg[a] = 0
			}
			for _, b := range bs {
				if !edges[a][b] {
					edges[a][b] = true
					indeg[b]++
				}
			}
		}
	}
	add(impliedAnomalies)
	add(severity)
	depth := map[string]int{}
	var layer []string
	for v, d := range indeg {
		if d == 0 {
			layer = append(layer, v)
		}
	}
	for level := 0; len(layer) > 0; level++ {
		var next []string
		for _, v := range layer {
			depth[v] = level
			for b := range edges[v] {
				if indeg[b]--; indeg[b] == 0 {
					next = append(next, b)
				}
			}
		}
		layer = next
	}
	return depth
}()

// byDepth sorts anomaly names by depth, then by name, as Elle does.
func byDepth(names []string) {
	sort.Slice(names, func(i, j int) bool {
		di, dj := anomalyDepths[names[i]], anomalyDepths[names[j]]
		if di != dj {
			return di < dj
		}
		return names[i] < names[j]
	})
}

// cycleExistsModel is the canonical model a "-cycle-exists" anomaly rules
// out.
func cycleExistsModel(anomaly string) (string, bool) {
	m, ok := strings.CutSuffix(anomaly, "-cycle-exists")
	return m, ok
}
