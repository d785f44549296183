package replica

import (
	"crypto/rand"
	"encoding/hex"
	"os"
)

// Name returns this process's replica id: override when set (the
// SCCBOT_REPLICA_ID environment variable), else the host name and a random
// suffix, so that a restarted pod with the same host name is a new replica
// and never inherits the claims of the process it replaces while that one
// may still be alive.
func Name(override string) string {
	if override != "" {
		return override
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "sccbot"
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return host + "-" + hex.EncodeToString(b[:])
}
