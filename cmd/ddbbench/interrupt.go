package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// interruptWindow is how long after a counted interrupt another one is
// taken for the same. `timeout -s INT` signals the process and then its
// whole process group, and a terminal's Ctrl-C reaches every process of
// the foreground group: one request from the user often arrives as two
// signals microseconds apart. A person pressing Ctrl-C again to mean it
// takes longer than this.
const interruptWindow = time.Second

// interrupts turns SIGINT and SIGTERM into requests: a signal within
// window of the last counted one is dropped. C receives one value per
// counted request, the time it came.
type interrupts struct {
	C      <-chan time.Time
	signal chan os.Signal
	stop   chan struct{}
}

// notifyInterrupts starts counting the process's interrupts.
func notifyInterrupts(window time.Duration) *interrupts {
	raw := make(chan os.Signal, 8)
	signal.Notify(raw, os.Interrupt, syscall.SIGTERM)
	return debounce(raw, window, time.Now)
}

// debounce counts the signals arriving on raw, reading the time from now.
func debounce(raw chan os.Signal, window time.Duration, now func() time.Time) *interrupts {
	out := make(chan time.Time, 8)
	in := &interrupts{C: out, signal: raw, stop: make(chan struct{})}
	go func() {
		var last time.Time
		counted := false
		for {
			select {
			case <-raw:
			case <-in.stop:
				return
			}
			at := now()
			if counted && at.Sub(last) < window {
				continue
			}
			counted, last = true, at
			select {
			case out <- at:
			default: // nobody is listening for more requests
			}
		}
	}()
	return in
}

// Stop stops counting; signals get their default effect again.
func (in *interrupts) Stop() {
	signal.Stop(in.signal)
	close(in.stop)
}
