package sim

import "github.com/ddbbench/ddbbench/maelstrom"

type eventKind uint8

const (
	evDeliver eventKind = iota // msg arrives at dest
	evTimer                    // a node's timer fires
	evCall                     // a harness callback (nemesis, schedule)
)

// event is one entry of the simulator's queue, ordered by (at, seq). The seq
// number breaks ties in scheduling order, which is what makes runs
// reproducible.
type event struct {
	at   int64
	seq  uint64
	kind eventKind
	dest int // endpoint, for deliveries and timers
	src  int // sending endpoint, for deliveries
	inc  int // the incarnation that set a timer
	msg  maelstrom.Msg
	fn   func()
}

// eventQueue is a binary min-heap of events. It is written out rather than
// built on container/heap to avoid interface calls on the hot path.
type eventQueue struct {
	items []*event
	free  []*event
}

func (q *eventQueue) Len() int { return len(q.items) }

func less(a, b *event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (q *eventQueue) alloc() *event {
	if n := len(q.free); n > 0 {
		e := q.free[n-1]
		q.free = q.free[:n-1]
		return e
	}
	return new(event)
}

// release returns an event to the free list once nothing refers to it.
func (q *eventQueue) release(e *event) {
	*e = event{}
	q.free = append(q.free, e)
}

func (q *eventQueue) push(e *event) {
	q.items = append(q.items, e)
	i := len(q.items) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !less(q.items[i], q.items[parent]) {
			break
		}
		q.items[i], q.items[parent] = q.items[parent], q.items[i]
		i = parent
	}
}

func (q *eventQueue) peek() *event { return q.items[0] }

func (q *eventQueue) pop() *event {
	items := q.items
	top := items[0]
	last := len(items) - 1
	items[0] = items[last]
	items[last] = nil
	items = items[:last]
	q.items = items
	i := 0
	for {
		l := 2*i + 1
		if l >= len(items) {
			break
		}
		small := l
		if r := l + 1; r < len(items) && less(items[r], items[l]) {
			small = r
		}
		if !less(items[small], items[i]) {
			break
		}
		items[i], items[small] = items[small], items[i]
		i = small
	}
	return top
}
