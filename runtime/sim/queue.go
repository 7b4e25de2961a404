package sim

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

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
	at    int64
	seq   uint64
	kind  eventKind
	pos   int // index in the heap, -1 when not queued
	dest  int // endpoint, for deliveries and timers
	src   int // sending endpoint, for deliveries
	inc   int // the incarnation that set a timer
	timer nodes.TimerID
	msg   maelstrom.Msg
	fn    func()
}

// slot is a heap entry: the ordering key is kept beside the pointer so that
// sifting compares without following it (a large cluster's queue holds
// hundreds of thousands of events, and chasing each pointer is a cache
// miss).
type slot struct {
	at  int64
	seq uint64
	ev  *event
}

func (a slot) before(b slot) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// eventQueue is a binary min-heap of events. It is written out rather than
// built on container/heap to avoid interface calls on the hot path, and it
// can remove an event (a cancelled timer) so that dead timers do not fill
// it.
type eventQueue struct {
	items []slot
	free  []*event
}

func (q *eventQueue) Len() int { return len(q.items) }

func (q *eventQueue) alloc() *event {
	if n := len(q.free); n > 0 {
		e := q.free[n-1]
		q.free = q.free[:n-1]
		return e
	}
	return &event{pos: -1}
}

// release returns an event to the free list once nothing refers to it.
func (q *eventQueue) release(e *event) {
	*e = event{pos: -1}
	q.free = append(q.free, e)
}

func (q *eventQueue) push(e *event) {
	q.items = append(q.items, slot{e.at, e.seq, e})
	q.up(len(q.items) - 1)
}

// peekAt is the time of the earliest event.
func (q *eventQueue) peekAt() int64 { return q.items[0].at }

func (q *eventQueue) pop() *event {
	top := q.items[0].ev
	q.removeAt(0)
	return top
}

// remove takes a queued event out of the heap.
func (q *eventQueue) remove(e *event) {
	if e.pos >= 0 {
		q.removeAt(e.pos)
	}
}

func (q *eventQueue) removeAt(i int) {
	e := q.items[i].ev
	last := len(q.items) - 1
	if i != last {
		q.items[i] = q.items[last]
		q.items[i].ev.pos = i
	}
	q.items[last] = slot{}
	q.items = q.items[:last]
	if i < last {
		q.down(i)
		q.up(i)
	}
	e.pos = -1
}

func (q *eventQueue) up(i int) {
	items := q.items
	s := items[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !s.before(items[parent]) {
			break
		}
		items[i] = items[parent]
		items[i].ev.pos = i
		i = parent
	}
	items[i] = s
	s.ev.pos = i
}

func (q *eventQueue) down(i int) {
	items := q.items
	n := len(items)
	s := items[i]
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		small := l
		if r := l + 1; r < n && items[r].before(items[l]) {
			small = r
		}
		if !items[small].before(s) {
			break
		}
		items[i] = items[small]
		items[i].ev.pos = i
		i = small
	}
	items[i] = s
	s.ev.pos = i
}
