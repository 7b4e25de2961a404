// Package commit is atomic commitment over sharded data: the textbook
// protocols that make a transaction touching several shards commit at all
// of them or at none, side by side under the same load and the same
// faults.
//
// Data is partitioned over the nodes by key: key k lives at the node
// sites[fnv32a(k) mod n] (nodes/deadlock's Node.SiteOf). A client may send
// its transaction to any node, which coordinates it; the participants are
// the nodes that own its keys. Concurrency control is the same for every
// protocol, so that the comparison is about commit alone: strict two-phase
// locking with wound-wait, from nodes/deadlock's engine (the coordinator
// takes its locks one site at a time, reading as it goes), and a
// participant aborts on its own an attempt that holds locks, has not
// voted, and whose coordinator has gone quiet (Options.OrphanAfter).
// Once an attempt holds every lock, the engine hands it to the protocol
// (deadlock.Protocol):
//
//   - TwoPC: two-phase commit with presumed abort and cooperative
//     termination: blocks while the coordinator is down.
//   - ThreePC: Skeen's three-phase commit with the termination protocol
//     that elects a new coordinator: does not block when the coordinator
//     crashes, and decides both ways when the network partitions.
//   - PaxosCommit: Gray & Lamport's Paxos Commit: each participant's vote
//     is chosen by a Paxos instance over 2F+1 acceptors; non-blocking
//     while a majority of acceptors is up.
//   - NoCommit: the negative control: the writes are applied in one round
//     with no vote.
//
// Saga (Garcia-Molina & Salem) is no atomic commitment protocol: a saga
// runs the transaction as a sequence of local transactions, one per site,
// with compensations run in reverse when a later step fails, so it has its
// own node (SagaNode) rather than a Protocol.
//
// Every protocol writes its state (prepared records, votes, decisions) to
// the node's durable store and syncs it before sending the message that
// depends on it; each such sync is a forced log write, which the simulator
// counts. Nodes report each attempt's commit state (nodes.Env.CommitState)
// and the moment a coordinator has every vote and has not yet decided
// (nodes.Env.SetPhase "deciding", the kill-coordinator nemesis's moment).
package commit
