package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// OpenReadOnly opens an existing store for reading only, as the audit
// export does next to the running bot: it creates nothing (a mistyped path
// is an error, not a new empty database), applies no migration and takes
// no write lock. Every write through the returned DB fails.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == MemoryPath {
		return nil, bot.Errorf(bot.EInvalid, "a read-only store needs a database file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, bot.Errorf(bot.ENotFound, "no store at %s", abs)
	case err != nil:
		return nil, fmt.Errorf("store %s: %w", abs, err)
	case !st.Mode().IsRegular():
		return nil, bot.Errorf(bot.EInvalid, "store %s is not a file", abs)
	}
	params := readParams()
	params.Set("mode", "ro")
	r, err := sql.Open("sqlite", fileDSN(abs, params))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	db := &DB{Now: time.Now, write: r, read: r}
	if err := db.Ping(ctx); err != nil {
		_ = r.Close() // the ping error is the one to report
		return nil, fmt.Errorf("store %s is not an sccbot database: %w", abs, err)
	}
	return db, nil
}
