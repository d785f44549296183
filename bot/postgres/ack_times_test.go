package postgres

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

var _ storetest.AckTimesStore = (*DB)(nil)

func TestPostgresAckTimes(t *testing.T) {
	storetest.RunAckTimes(t, func(t *testing.T, now func() time.Time) storetest.AckTimesStore {
		db, _ := openReopenable(t, now)
		return db
	})
}
