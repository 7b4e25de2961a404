// Package deadlock is distributed strict two-phase locking over a sharded
// store, with six ways of handling the deadlocks it causes: the reference
// nodes 2pl-wait, 2pl-timeout, 2pl-wait-die, 2pl-wound-wait,
// 2pl-detect-central and 2pl-detect-edge-chasing. They share one engine and
// differ only in what happens when a lock request conflicts (Policy).
//
// The engine is the textbook's (Bernstein, Hadzilacos & Goodman 1987, ch.
// 3 and 7; Özsu & Valduriez, ch. 11):
//
//   - Data items are partitioned over the nodes by a hash of the key; each
//     node is the site (participant) for its items: their lock manager and
//     their store (durable, in the node's Store).
//   - A transaction's coordinator is the node its client talks to. It takes
//     locks one at a time in the order the transaction touches its keys,
//     shared to read and exclusive to write (exclusive at once for a key
//     the transaction will write, so no lock is upgraded), asking each site
//     once for a run of consecutive keys it holds. Nothing orders the keys,
//     so two transactions can lock the same keys the other way round.
//   - A site grants a request that conflicts with nobody; otherwise the
//     request waits in the key's queue, which is kept in timestamp order
//     (oldest first), for every conflicting holder and every older
//     conflicting request ahead of it: those are its wait-for edges, which
//     the site reports to the harness (nodes.Env.WaitsFor). Whenever they
//     change the policy is asked whether the request may wait.
//   - Strict: every lock is held until the transaction ends. Commit is one
//     round: the coordinator sends each participant its share of the
//     writes; the participant writes them, syncs, releases, and answers;
//     the client hears of the commit once every participant has. An abort
//     releases everything; once every site has answered, the transaction
//     restarts after a short random pause with its first timestamp (and
//     gives up, txn-conflict, after ten attempts).
//   - Messages from a coordinator to a site are repeated until answered,
//     and answered the same however often they come; a late request of an
//     attempt already over is refused. A partition delays transactions but
//     loses none of their messages.
//
// The policies (policy.go, central.go, edgechasing.go) are: wait (plain
// 2PL, which deadlocks), timeout, wait-die and wound-wait (Rosenkrantz,
// Stearns & Lewis 1978), a central detector (Özsu & Valduriez, §11.6.3),
// and Chandy, Misra & Haas's edge chasing (1983).
//
// Expected behaviour, per fault (Strategies has the reasons and
// references; docs/deadlock.md the observed matrix):
//
//   - none: 2pl-wait deadlocks within seconds at either contention level;
//     every other policy is live and serializable.
//   - partition: the engine's repeated messages carry every policy through
//     a partition, except edge chasing, whose probes are sent once: a probe
//     lost in the partition leaves its deadlock undetected for good. The
//     central detector misses deadlocks while cut off and finds them in the
//     first round after the partition heals.
//   - kill: every policy is unsafe. Commit is one round, not an atomic
//     commitment protocol (that is issue 12): a participant that is down
//     when the commit comes applies its share only after it restarts, and
//     meanwhile its empty lock table lets others read the old value (a
//     transfer seen half done); a crashed coordinator's locks are held for
//     ever, nothing telling the sites its transactions are gone.
//
// The nodes serve the bank workload (read, transfer, bank_init; see
// docs/bank.md) and Maelstrom's txn message (txn-list-append and
// txn-rw-register micro-operations), so the Elle checker can judge them.
package deadlock
