package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
)

// progressLine shows one status line while a run goes: rewritten in place on
// a terminal, printed every few seconds otherwise (CI logs).
type progressLine struct {
	w        io.Writer
	tty      bool
	off      bool
	last     time.Time
	interval time.Duration
	shown    bool
}

func newProgressLine(w io.Writer, quiet bool) *progressLine {
	// The first line waits one interval too: a run that finishes quickly
	// prints no progress at all.
	p := &progressLine{w: w, off: quiet, interval: 5 * time.Second, last: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.interval = true, 100*time.Millisecond
		}
	}
	return p
}

func (p *progressLine) update(pr harness.Progress) {
	if p.off || time.Since(p.last) < p.interval {
		return
	}
	p.last = time.Now()
	faults := "no faults"
	if len(pr.Faults) > 0 {
		faults = "faults: " + strings.Join(pr.Faults, ",")
	}
	p.show(fmt.Sprintf("%-8s %6.1fs / %.0fs  %d ops (%d ok)  %s", pr.Phase, pr.Now.Seconds(), pr.TimeLimit.Seconds(), pr.Completed, pr.OK, faults))
}

// check shows how a long check is going; it may be called from another
// goroutine, but never while the run's updates are still coming.
func (p *progressLine) check(pr checkers.Progress) {
	if p.off || time.Since(p.last) < p.interval {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("checking %s: %d/%d %s done, %.0fs", pr.Checker, pr.Done, pr.Total, pr.Unit, pr.Elapsed.Seconds())
	if pr.Slow != "" {
		line += fmt.Sprintf("; slowest: %s, for %.0fs", pr.Slow, pr.SlowFor.Seconds())
	}
	p.show(line)
}

func (p *progressLine) show(line string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progressLine) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
