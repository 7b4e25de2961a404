package lock

import (
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

func checkService(t *testing.T, h history.History, fencing bool) checkers.Result {
	t.Helper()
	r := Service(ServiceOptions{Timeout: 10 * time.Second, Fencing: fencing}).Check(h)
	back := Service(ServiceOptions{Timeout: 10 * time.Second, Fencing: fencing}).Check(roundTrip(t, h))
	if back.Valid != r.Valid {
		t.Fatalf("verdict %v in memory but %v after a JSON round trip", r.Valid, back.Valid)
	}
	return r
}

func TestServiceAccepts(t *testing.T) {
	cases := []struct {
		name    string
		h       history.History
		fencing bool
	}{
		{"one holder after another", hist(
			grant("c1", "l0", "a1", 0, 2, 1, 0), release("c1", "l0", "a1", 1, 10, 12),
			grant("c2", "l0", "a2", 13, 15, 2, 0), release("c2", "l0", "a2", 2, 20, 22)), true},
		{"a grant whose window overlaps the previous release", hist(
			grant("c1", "l0", "a1", 0, 2, 1, 0), release("c1", "l0", "a1", 1, 10, 16),
			grant("c2", "l0", "a2", 11, 15, 2, 0)), true},
		// Refusals prove nothing: votes split and everybody is refused.
		{"refusals while nobody holds the lock", hist(
			refused("c1", "l0", "a1", 0, 2), refused("c2", "l0", "a2", 1, 3),
			grant("c3", "l0", "a3", 5, 6, 1, 0)), false},
		{"an unanswered acquire that never took effect", hist(
			info(grant("c1", "l0", "a1", 0, 0, 0, 0)),
			grant("c2", "l0", "a2", 5, 6, 1, 0), release("c2", "l0", "a2", 1, 8, 9),
			grant("c3", "l0", "a3", 10, 11, 2, 0)), true},
		{"asking again as the same owner", hist(
			info(grant("c1", "l0", "a1", 0, 0, 0, 0)),
			grant("c1", "l0", "a1", 1500, 1501, 7, 0), release("c1", "l0", "a1", 7, 1510, 1511),
			grant("c2", "l0", "a2", 1512, 1513, 8, 0)), true},
		// A lease may lapse: the next grant needs no release, and the late
		// release of the lapsed lease may be refused or answered ok.
		{"a lease that lapsed", hist(
			grant("c1", "l0", "a1", 0, 1, 1, 100), grant("c2", "l0", "a2", 200, 201, 2, 100),
			notHolder(release("c1", "l0", "a1", 1, 300, 301)), release("c2", "l0", "a2", 2, 302, 303)), true},
		{"a lapsed lease's release answered ok", hist(
			grant("c1", "l0", "a1", 0, 1, 1, 100), grant("c2", "l0", "a2", 200, 201, 2, 100),
			release("c1", "l0", "a1", 1, 300, 301)), false},
		{"locks are independent", hist(
			grant("c1", "l0", "a1", 0, 2, 1, 0), grant("c2", "l1", "a2", 1, 3, 1, 0),
			release("c1", "l0", "a1", 1, 4, 5), release("c2", "l1", "a2", 1, 4, 5)), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := checkService(t, tc.h, tc.fencing); r.Valid != checkers.Valid {
				t.Fatalf("want valid, got %v: %s %+v", r.Valid, r.Summary, r.Evidence)
			}
		})
	}
}

func TestServiceRejects(t *testing.T) {
	cases := []struct {
		name    string
		h       history.History
		fencing bool
		want    string
	}{
		{"two holders at once", hist(
			grant("c1", "l0", "a1", 0, 2, 1, 0), grant("c2", "l0", "a2", 3, 4, 2, 0),
			release("c1", "l0", "a1", 1, 10, 11)), false, "lock l0"},
		{"a release by a non-holder accepted", hist(
			grant("c1", "l0", "a1", 0, 2, 1, 0), release("c2", "l0", "a2", 9, 3, 4)), false, "held by a1"},
		{"the holder's release refused", hist(
			grant("c1", "l0", "a1", 0, 2, 1, 0), notHolder(release("c1", "l0", "a1", 1, 3, 4))), false, "lock l0"},
		{"a fencing token that went down", hist(
			grant("c1", "l0", "a1", 0, 2, 5, 0), release("c1", "l0", "a1", 5, 3, 4),
			grant("c2", "l0", "a2", 5, 6, 3, 0)), true, "lock l0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := checkService(t, tc.h, tc.fencing)
			if r.Valid != checkers.Invalid {
				t.Fatalf("want invalid, got %v: %s", r.Valid, r.Summary)
			}
			if !strings.Contains(r.Summary, tc.want) {
				t.Errorf("summary %q lacks %q", r.Summary, tc.want)
			}
			if len(r.Files[ServiceVisualization]) == 0 {
				t.Error("no visualization")
			}
		})
	}
	// Without fencing, tokens are only names.
	h := hist(grant("c1", "l0", "a1", 0, 2, 5, 0), release("c1", "l0", "a1", 5, 3, 4), grant("c2", "l0", "a2", 5, 6, 3, 0))
	if r := checkService(t, h, false); r.Valid != checkers.Valid {
		t.Fatalf("decreasing tokens without fencing: %v %s", r.Valid, r.Summary)
	}
}

// A partition leaves a holder unable to release and others unable to hear
// back: dozens of unanswered requests on one lock, each of which could take
// effect at any time. They must not make the search explode (no timeout:
// an exponential search would hang the test).
func TestServiceManyUnansweredRequests(t *testing.T) {
	ops := []*history.Op{grant("c8", "l0", "a1", 0, 2, 1, 0)}
	for i := range int64(40) {
		at := 10 + 100*i
		ops = append(ops,
			info(release("c8", "l0", "a1", 1, at, 0)),
			info(grant("c2", "l0", "a2", at+1, 0, 0, 0)),
			info(grant("c3", "l0", "a3", at+2, 0, 0, 0)),
			refused("c0", "l0", "a4", at+3, at+4))
	}
	ops = append(ops, release("c8", "l0", "a1", 1, 5000, 5001), grant("c2", "l0", "a2", 5002, 5003, 2, 0))
	r := Service(ServiceOptions{}).Check(hist(ops...))
	if r.Valid != checkers.Valid {
		t.Fatalf("want valid, got %v: %s", r.Valid, r.Summary)
	}
}

// A release that got no answer, asked again until it did: one release,
// from the first request to the answer, which may have taken effect
// before others were granted the lock.
func TestServiceReleaseAskedAgain(t *testing.T) {
	h := hist(
		grant("c6", "l0", "a1", 0, 10, 1, 0),
		info(release("c6", "l0", "a1", 1, 20, 0)),
		grant("c7", "l0", "a2", 300, 310, 2, 0), release("c7", "l0", "a2", 2, 320, 330),
		info(release("c6", "l0", "a1", 1, 1100, 0)),
		release("c6", "l0", "a1", 1, 2100, 2200))
	if r := checkService(t, h, true); r.Valid != checkers.Valid {
		t.Fatalf("want valid, got %v: %s %+v", r.Valid, r.Summary, r.Evidence)
	}
}
