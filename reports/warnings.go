package reports

import (
	"fmt"
	"sort"
	"strings"
)

// The kinds of protocol warning: replies a client got that answer nothing it
// is waiting for. None fails a run by itself, but each explains something:
// an operation that timed out although the node did answer (late, or under
// the wrong in_reply_to), a node that answers twice.
const (
	// WarnUnknownInReplyTo: a reply whose in_reply_to names no request the
	// client ever sent.
	WarnUnknownInReplyTo = "unknown_in_reply_to"
	// WarnDuplicateReply: a second reply to a request already answered.
	WarnDuplicateReply = "duplicate_reply"
	// WarnLateReply: a reply to a request the client had already given up
	// on (op timeout); the operation was recorded as indefinite.
	WarnLateReply = "late_reply"
	// WarnUnsolicited: a message to a client that is not a reply at all
	// (no in_reply_to).
	WarnUnsolicited = "unsolicited"
)

// WarningKinds lists the kinds, in the order summaries show them.
var WarningKinds = []string{WarnUnknownInReplyTo, WarnDuplicateReply, WarnUnsolicited, WarnLateReply}

// warningLabels name the kinds in summaries, singular and plural.
var warningLabels = map[string][2]string{
	WarnUnknownInReplyTo: {"reply to an unknown request", "replies to unknown requests"},
	WarnDuplicateReply:   {"duplicate reply", "duplicate replies"},
	WarnLateReply:        {"late reply (after the op timeout)", "late replies (after the op timeout)"},
	WarnUnsolicited:      {"unsolicited message", "unsolicited messages"},
}

// ProtocolWarnings counts the protocol warnings of a run, per kind, with a
// few examples of each.
type ProtocolWarnings struct {
	Count  int                    `json:"count"`
	ByKind map[string]WarningKind `json:"by_kind"` // kinds with no warning are left out
}

// WarningKind is one kind's count and first examples.
type WarningKind struct {
	Count    int       `json:"count"`
	Examples []Warning `json:"examples"`
}

// Warning is one message that drew a warning.
type Warning struct {
	AtS       float64 `json:"at_s"` // when it was delivered, seconds since the run's start
	Src       string  `json:"src"`
	Dest      string  `json:"dest"`
	Type      string  `json:"type"`
	InReplyTo *int    `json:"in_reply_to,omitempty"`
}

// Summary is one line for the human summary, "" without warnings.
func (p ProtocolWarnings) Summary() string {
	if p.Count == 0 {
		return ""
	}
	kinds := make([]string, 0, len(p.ByKind))
	for k := range p.ByKind {
		kinds = append(kinds, k)
	}
	order := func(k string) int {
		for i, w := range WarningKinds {
			if w == k {
				return i
			}
		}
		return len(WarningKinds)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if oi, oj := order(kinds[i]), order(kinds[j]); oi != oj {
			return oi < oj
		}
		return kinds[i] < kinds[j]
	})
	var parts []string
	for _, k := range kinds {
		n := p.ByKind[k].Count
		label, ok := warningLabels[k]
		if !ok {
			label = [2]string{strings.ReplaceAll(k, "_", " "), strings.ReplaceAll(k, "_", " ")}
		}
		if n == 1 {
			parts = append(parts, "1 "+label[0])
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", n, label[1]))
		}
	}
	line := strings.Join(parts, ", ")
	if ex := p.ByKind[kinds[0]].Examples; len(ex) > 0 {
		line += "; e.g. " + ex[0].String()
	}
	return line
}

// String describes the message: "n1 -> c0 echo_ok in_reply_to 7 at 1.234 s".
func (w Warning) String() string {
	s := fmt.Sprintf("%s -> %s %s", w.Src, w.Dest, w.Type)
	if w.InReplyTo != nil {
		s += fmt.Sprintf(" in_reply_to %d", *w.InReplyTo)
	}
	return s + fmt.Sprintf(" at %.3f s", w.AtS)
}
