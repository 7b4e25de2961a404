package nodes

import (
	"sort"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// Mux dispatches requests by message type, in the manner of net/http's
// ServeMux. Requests of a type it does not know get a not-supported error.
type Mux struct {
	env      Env
	handlers map[string]func(maelstrom.Msg)
}

// NewMux returns an empty Mux answering through env.
func NewMux(env Env) *Mux { return &Mux{env: env, handlers: map[string]func(maelstrom.Msg){}} }

// Handle registers h for requests of type typ.
func (m *Mux) Handle(typ string, h func(maelstrom.Msg)) { m.handlers[typ] = h }

// Dispatch runs the handler for msg's type.
func (m *Mux) Dispatch(msg maelstrom.Msg) {
	if h, ok := m.handlers[msg.Type]; ok {
		h(msg)
		return
	}
	if msg.HasMsgID() {
		m.env.ReplyError(msg, maelstrom.NotSupported, "unsupported message type "+msg.Type)
	}
}

// Types lists the registered message types, sorted.
func (m *Mux) Types() []string {
	types := make([]string, 0, len(m.handlers))
	for t := range m.handlers {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// Strategy describes a reference node for the catalog.
type Strategy struct {
	Name    string
	Summary string // one line, for `ddbbench list`
	Group   string // "replication", "locking", "commit", "control"
	New     func() Node
	// Expect is the strategy's expected verdict under each nemesis, from
	// the literature rather than from observed runs.
	Expect []Expectation
	// TargetRoles are the roles (as the nodes report them with SetRole)
	// that leader-targeted faults aim at; nil means "leader" and "primary".
	// Chain replication's critical node is its tail.
	TargetRoles []string
	// NoCAS says the strategy answers cas with not-supported (it would need
	// consensus); register runs then give cas's share of the mix to reads,
	// so that availability and latency compare like with like.
	NoCAS bool
	// Workload is the workload the strategy serves, which a run of it uses
	// unless told otherwise; "" means "register". Lock services serve
	// "lock", transactional stores a txn workload.
	Workload string
	// Fencing says a lock service's tokens are fencing tokens, growing
	// with every grant of a lock: the lock workload's protected resource
	// then refuses accesses with stale tokens, as Kleppmann's fenced
	// storage does.
	Fencing bool
	// ProtocolMessages are the message types of the strategy's own
	// protocol (replies count under "<type>_ok"), for counting its
	// messages apart from the rest: a commit protocol's, not its
	// locking's.
	ProtocolMessages []string
}

// DefaultWorkload is the workload of a strategy that names none.
const DefaultWorkload = "register"

// ServedWorkload is the workload s serves.
func (s Strategy) ServedWorkload() string {
	if s.Workload == "" {
		return DefaultWorkload
	}
	return s.Workload
}

// Expectation is what the literature says a strategy does under one fault.
type Expectation struct {
	Nemesis string `json:"nemesis"` // "none", "partition", "kill", "pause", "packet", "clock"
	// Safe: valid in every seed. Unsafe: the harness must catch a violation
	// within a few seeds.
	Safe      bool   `json:"safe"`
	Reason    string `json:"reason"`    // why, in a sentence
	Reference string `json:"reference"` // where the literature says so
}
