package elle

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
)

// lostUpdates finds committed transactions that read the same version of
// a key and then both wrote it (Adya's H_lu; elle.txn/lost-update-cases):
// whichever wrote second overwrote an update it never saw. It is G2-item in
// cycle terms, but is found directly here because the inferred version
// orders may lack the edges that would close the cycle.
func lostUpdates(p *parsed, out anomalies, write byte) {
	type readKey struct {
		key  int32
		null bool
		v    int // a register's value, or a list's last element
		n    int // a list's length
		h    uint64
	}
	seed := maphash.MakeSeed()
	groups := map[readKey][]int32{}
	var order []readKey
	type read struct {
		key  int32
		m    *mop
		done bool // wrote it already
	}
	var reads []read
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() {
			continue
		}
		reads = reads[:0]
		for j := range t.mops {
			m := &t.mops[j]
			x := -1
			for r := range reads {
				if reads[r].key == m.key {
					x = r
				}
			}
			if m.f == fRead {
				if x < 0 {
					reads = append(reads, read{key: m.key, m: m})
				}
				continue
			}
			if m.f != write || x < 0 || reads[x].done {
				continue
			}
			reads[x].done = true
			r := reads[x].m
			rk := readKey{key: r.key, null: r.null, v: r.value}
			if p.workload == ListAppend {
				rk.null, rk.n = false, len(r.list)
				if rk.n > 0 {
					rk.v = r.list[rk.n-1]
					rk.h = listHash(seed, r.list)
				}
			}
			if _, ok := groups[rk]; !ok {
				order = append(order, rk)
			}
			groups[rk] = append(groups[rk], int32(i))
		}
	}
	for _, rk := range order {
		ts := groups[rk]
		if len(ts) < 2 {
			continue
		}
		c := p.newCase("lost-update", ts...)
		c.Key = p.key(rk.key)
		var shown string
		if p.workload == ListAppend {
			var l []int
			for _, m := range p.txns[ts[0]].mops {
				if m.f == fRead && m.key == rk.key {
					l = m.list
					break
				}
			}
			if l == nil {
				l = []int{}
			}
			c.Value, shown = slices.Clip(l), showList(l)
		} else if rk.null {
			shown = "nil"
		} else {
			c.Value, shown = rk.v, fmt.Sprint(rk.v)
		}
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = p.name(t)
		}
		c.Explanation = fmt.Sprintf("%s all read key %d = %s and then wrote it: all but one overwrote an update they never saw",
			strings.Join(names, ", "), p.keys[rk.key], shown)
		out.add(c)
	}
}

func listHash(seed maphash.Seed, l []int) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var buf [8]byte
	for _, x := range l {
		u := uint64(x)
		for i := range buf {
			buf[i] = byte(u >> (8 * i))
		}
		h.Write(buf[:])
	}
	return h.Sum64()
}
