package sim

import (
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// The kinds of protocol warning: messages a client received that answer
// nothing it is waiting for. None stops a run, but each explains something
// a user would otherwise puzzle over: an operation that timed out although
// the node answered (late, or under the wrong in_reply_to), a node that
// answers twice.
const (
	WarnUnknownInReplyTo = "unknown_in_reply_to" // in_reply_to names no request the client sent
	WarnDuplicateReply   = "duplicate_reply"     // a second reply to a request already answered
	WarnLateReply        = "late_reply"          // a reply after the client gave up (op timeout)
	WarnUnsolicited      = "unsolicited"         // a message to a client that is no reply at all
)

// maxWarningExamples bounds the examples kept per kind; counts are exact.
const maxWarningExamples = 5

// Warning is one message that drew a protocol warning.
type Warning struct {
	At        time.Duration // when it was delivered
	Src, Dest string
	Type      string
	InReplyTo int
	IsReply   bool // it carried an in_reply_to
}

// Warnings are a run's protocol warnings: counts per kind and the first
// few examples of each.
type Warnings struct {
	Counts   map[string]int
	Examples map[string][]Warning
}

func (w *Warnings) add(kind string, at time.Duration, msg maelstrom.Msg) {
	if w.Counts == nil {
		w.Counts, w.Examples = map[string]int{}, map[string][]Warning{}
	}
	w.Counts[kind]++
	if len(w.Examples[kind]) < maxWarningExamples {
		w.Examples[kind] = append(w.Examples[kind], Warning{At: at, Src: msg.Src, Dest: msg.Dest, Type: msg.Type, InReplyTo: msg.InReplyTo, IsReply: msg.IsReply()})
	}
}

// Warnings returns the protocol warnings so far.
func (s *Sim) Warnings() Warnings { return s.warnings }

// requestEnd is how a client's request ended, to tell a late reply from a
// duplicate one.
type requestEnd uint8

const (
	requestOpen     requestEnd = iota // no answer yet
	requestAnswered                   // answered (or answered late)
	requestTimedOut                   // given up on
)

// ended records how request id ended. Ids are consecutive from the env's
// first, so one byte per request is the whole record.
func (e *env) ended(id int, how requestEnd) {
	if e.ends == nil {
		return
	}
	i := id - e.firstMsgID
	for len(*e.ends) <= i {
		*e.ends = append(*e.ends, requestOpen)
	}
	(*e.ends)[i] = how
}

// stray classifies a reply to a client that matches no pending request.
func (e *env) stray(msg maelstrom.Msg) string {
	i := msg.InReplyTo - e.firstMsgID
	if i < 0 || i >= len(*e.ends) || msg.InReplyTo >= e.nextMsgID {
		return WarnUnknownInReplyTo
	}
	switch (*e.ends)[i] {
	case requestTimedOut:
		e.ended(msg.InReplyTo, requestAnswered) // a second late one is a duplicate
		return WarnLateReply
	case requestAnswered:
		return WarnDuplicateReply
	}
	return WarnUnknownInReplyTo
}
