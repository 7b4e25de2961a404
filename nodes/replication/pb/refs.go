package pb

// References for the strategies' expected verdicts.
const (
	// Budhiraja is the primary-backup chapter the protocol follows.
	Budhiraja = "Budhiraja, Marzullo, Schneider & Toueg, The Primary-Backup Approach (in Mullender, ed., Distributed Systems, 2nd ed., 1993, ch. 8)"
	// Tanenbaum is the textbook's section on primary-based protocols.
	Tanenbaum = "Tanenbaum & van Steen, Distributed Systems: Principles and Paradigms, 2nd ed., §7.5.1 Primary-Based Protocols"
	// DDIA is Kleppmann's book, for failover, split brain and pauses.
	DDIA = "Kleppmann, Designing Data-Intensive Applications (2017)"
)
