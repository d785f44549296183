package postgres

import (
	"context"
	"fmt"
	"net"
	"strings"

	"cloud.google.com/go/cloudsqlconn"
)

// CloudSQL names a Cloud SQL for PostgreSQL database reached through the
// Cloud SQL Go connector with IAM database authentication: the connector
// fetches a short-lived certificate and an OAuth token for the service's
// own identity (Workload Identity, Cloud Run's service account, ADC), so
// no password exists anywhere. The connector's pgxv5 package registers a
// database/sql driver; the store uses pgxpool, so it plugs the same
// connector into pgx's DialFunc, as the connector documents for pgxpool.
type CloudSQL struct {
	// Instance is the connection name, project:region:instance.
	Instance string
	// User is the IAM database user (a service account's e-mail without
	// ".gserviceaccount.com").
	User string
	// Database is the database on the instance.
	Database string
	// DialerOptions are added to the connector's (for tests: an admin API
	// endpoint and credentials).
	DialerOptions []cloudsqlconn.Option
}

// cloudSQLDial returns the connection string and the dial function of c,
// and the connector's Close.
func cloudSQLDial(ctx context.Context, c CloudSQL) (string, func(context.Context, string, string) (net.Conn, error), func() error, error) {
	// Lazy refresh fetches certificates when a connection is opened rather
	// than in the background, which Cloud Run's throttled CPU between
	// requests would starve.
	opts := append([]cloudsqlconn.Option{cloudsqlconn.WithIAMAuthN(), cloudsqlconn.WithLazyRefresh()}, c.DialerOptions...)
	d, err := cloudsqlconn.NewDialer(ctx, opts...)
	if err != nil {
		return "", nil, nil, fmt.Errorf("start the Cloud SQL connector for %s: %w", c.Instance, err)
	}
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) { return d.Dial(ctx, c.Instance) }
	// The connector encrypts; the server sees a local plaintext stream.
	dsn := fmt.Sprintf("host=localhost user=%s dbname=%s sslmode=disable", quoteDSN(c.User), quoteDSN(c.Database))
	return dsn, dial, d.Close, nil
}

// quoteDSN quotes a keyword/value connection string value.
func quoteDSN(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
