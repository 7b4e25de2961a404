package proc

import (
	"sync"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// pipeQueue holds encoded lines for a child's stdin. Pushing never blocks:
// a stopped or slow child delays only its own input, never the loop.
type pipeQueue struct {
	mu    sync.Mutex
	buf   []byte
	ready chan struct{} // capacity 1: buf became non-empty
}

// push encodes m at the end of the queue.
func (q *pipeQueue) push(m maelstrom.Msg) error {
	q.mu.Lock()
	wasEmpty := len(q.buf) == 0
	b, err := maelstrom.AppendLine(q.buf, m)
	if err == nil {
		q.buf = b
	}
	q.mu.Unlock()
	if err != nil {
		return err
	}
	if wasEmpty {
		// A non-empty queue always has a signal pending or a writer about
		// to take it, so only the transition needs one.
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return nil
}

// take returns everything queued and leaves spare, emptied, in its place.
func (q *pipeQueue) take(spare []byte) []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf := q.buf
	q.buf = spare[:0]
	return buf
}

// outboxLimit bounds the messages a child may have waiting for the loop;
// past it the reader stops reading, and the child blocks on its stdout.
const outboxLimit = 4096

// outbox holds messages read from a child until the loop routes them.
// The reader posts one drain per batch rather than one function per
// message: fewer wake-ups, and a bounded number of posted functions.
type outbox struct {
	mu     sync.Mutex
	msgs   []maelstrom.Msg
	spare  []maelstrom.Msg
	posted bool          // a drain is waiting in the loop's inbox
	space  chan struct{} // capacity 1: a full outbox was emptied
}

// push appends m. post says the caller must post a drain; ok is false when
// the outbox was full and abandon closed before the loop emptied it.
func (o *outbox) push(m maelstrom.Msg, abandon <-chan struct{}) (post, ok bool) {
	for {
		o.mu.Lock()
		if len(o.msgs) < outboxLimit {
			o.msgs = append(o.msgs, m)
			post = !o.posted
			o.posted = true
			o.mu.Unlock()
			return post, true
		}
		o.mu.Unlock()
		select {
		case <-o.space:
		case <-abandon:
			return false, false
		}
	}
}

// take empties the outbox, for the loop. The caller hands the slice back
// with recycle once done with it.
func (o *outbox) take() []maelstrom.Msg {
	o.mu.Lock()
	msgs := o.msgs
	o.msgs, o.spare = o.spare[:0], nil
	o.posted = false
	o.mu.Unlock()
	if len(msgs) >= outboxLimit {
		select {
		case o.space <- struct{}{}:
		default:
		}
	}
	return msgs
}

// recycle gives back a slice take returned, cleared so that it holds no
// message bodies alive.
func (o *outbox) recycle(msgs []maelstrom.Msg) {
	clear(msgs)
	o.mu.Lock()
	if o.spare == nil && cap(msgs) <= 2*outboxLimit {
		o.spare = msgs[:0]
	}
	o.mu.Unlock()
}
