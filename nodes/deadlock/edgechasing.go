package deadlock

import "github.com/ddbbench/ddbbench/history/txn"

// EdgeChasing is Chandy, Misra & Haas's probe algorithm for the AND model
// (1983; Özsu & Valduriez, §11.6.3 "Distributed Deadlock Detection";
// Knapp 1987): when a request starts to wait, or comes to wait for someone
// new, the waiter sends a probe along each new wait-for edge. A probe goes
// to the coordinator of the transaction it reaches, which passes it to the
// site where that transaction waits, which passes it along that
// transaction's own edges: each wait passes a given initiator's probe on
// once. A probe that comes back to its initiator has gone round a cycle:
// a deadlock, and the initiator aborts itself.
//
// Probes are sent once, as in the paper. The algorithm assumes messages are
// not lost; one lost in a partition leaves its deadlock undetected forever,
// for no later probe retraces it.
type EdgeChasing struct{}

type probeBody struct {
	Initiator Owner  `json:"initiator"`
	InitSite  string `json:"init_site"` // where the initiator waits
	Key       string `json:"key"`       // for what
	To        string `json:"to"`        // the transaction the probe has reached
}

// victimBody tells the site where a deadlock's initiator waits to refuse
// its request, if it still waits for the same key.
type victimBody struct {
	Txn string `json:"txn"`
	Key string `json:"key"`
}

// Conflict lets the request wait and probes along its new edges.
func (EdgeChasing) Conflict(s *Site, r *Request, fresh []Owner, _ bool) string {
	for _, b := range fresh {
		s.n.tell(b.Coord, "probe", probeBody{Initiator: r.Owner, InitSite: s.n.self, Key: r.Key, To: b.Txn})
	}
	return ""
}

// Start handles probes at coordinators and at sites.
func (EdgeChasing) Start(n *Node) {
	// At the coordinator of the transaction reached: pass the probe to the
	// site where it waits; a transaction that does not wait ends it.
	notice(n, "probe", func(p probeBody) {
		if site, ok := n.coord.waitingAt(p.To); ok {
			n.tell(site, "probe_wait", p)
		}
	})
	// At the site where it waits: along each of its edges. A probe is one
	// initiator's wait: the same attempt waits for each of its keys in
	// turn, and each wait probes anew.
	notice(n, "probe_wait", func(p probeBody) {
		w := n.site.waitingRequest(p.To)
		if w == nil || len(w.Blockers) == 0 {
			return
		}
		init, wait := p.Initiator.Txn, p.Initiator.Txn+" "+p.Key
		for _, b := range w.Blockers {
			switch {
			case b.Txn == init:
				n.tell(p.InitSite, "victim", victimBody{Txn: init, Key: p.Key})
			case !w.probed[wait]:
				next := p
				next.To = b.Txn
				n.tell(b.Coord, "probe", next)
			}
		}
		if w.probed == nil {
			w.probed = map[string]bool{}
		}
		w.probed[wait] = true
	})
	// At the initiator's site: the probe came back, so the initiator
	// aborts itself, if it still waits where it did.
	notice(n, "victim", func(v victimBody) {
		if w := n.site.waitingRequest(v.Txn); w != nil && w.Key == v.Key {
			n.site.refuse(w, txn.Victim)
		}
	})
}
