// Package pgtest starts a throwaway PostgreSQL server for tests: initdb on
// a temporary directory, the server on a free port of 127.0.0.1 with its
// unix socket in the same directory, and a fresh database for each test,
// copied from a template so that every test starts from the same schema.
//
// A test package calls Main from its TestMain and asks for a database in
// each test that needs one (Database); the package's one server starts
// with the first such test and stops when the tests end. PostgreSQL
// refuses to run as root, so when the tests run as root the server runs as
// the unprivileged system user sccbot-test, created with useradd if it is
// missing.
//
// Outside CI a machine without PostgreSQL skips the tests that need it,
// with the reason printed; with CI=true they fail, so that CI can never
// pass by skipping.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure Main.
type Options struct {
	// Prepare, if set, runs once against the template database (its URL)
	// before any test; every database Database returns is a copy of the
	// result. A store's tests migrate the template here.
	Prepare func(ctx context.Context, url string) error
}

// templateName is the database every test database is copied from.
const templateName = "sccbot_template"

// startTimeout bounds initdb plus the server's start.
const startTimeout = 2 * time.Minute

var (
	options Options
	once    sync.Once
	current *Server // the package's server, once started
	reason  error   // why there is none
	counter atomic.Int64
)

// Main runs the package's tests and stops the server they started; call it
// from TestMain. The server starts when a test first asks for a database,
// so a test binary that asks for none pays nothing. It never returns.
func Main(m *testing.M, opts Options) {
	options = opts
	code := m.Run()
	if current != nil {
		current.Stop()
	}
	os.Exit(code)
}

// server starts the package's server on first use.
func server(tb testing.TB) *Server {
	tb.Helper()
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		srv, err := Start(ctx)
		if err == nil && options.Prepare != nil {
			if err = srv.prepareTemplate(ctx, options.Prepare); err != nil {
				srv.Stop()
			}
		}
		if err != nil {
			reason = err
			fmt.Fprintf(os.Stderr, "pgtest: no PostgreSQL for the tests that need it: %v\n", err)
			return
		}
		current = srv
	})
	if current == nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL is required in CI: %v", reason)
		}
		tb.Skipf("no PostgreSQL: %v", reason)
	}
	return current
}

// Database creates a fresh database for the test (a copy of the template),
// drops it when the test ends, and returns its URL. Without a server it
// skips the test, or fails it when CI=true.
func Database(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, "")
}

// EmptyDatabase is Database without the template's contents: a database as
// an operator creates it, for tests of what happens on first use.
func EmptyDatabase(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, "template0")
}

func createDatabase(tb testing.TB, template string) string {
	tb.Helper()
	current := server(tb)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), counter.Add(1))
	ctx := context.Background()
	if template == "" {
		template = current.template
	}
	if err := current.exec(ctx, `CREATE DATABASE `+name+` TEMPLATE `+template); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		// WITH (FORCE) ends connections a failed test left open.
		if err := current.exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	return current.URL(name)
}

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir      string // data, socket and log; removed by Stop
	port     int
	cmd      *exec.Cmd
	exited   chan struct{}
	template string
}

// Start runs initdb and starts the server.
func Start(ctx context.Context) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	removeOrphans()
	dir, err := os.MkdirTemp("", fmt.Sprintf("pgtest-%d-", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	s := &Server{dir: dir, template: "template1"}
	if err := s.start(ctx, bin, cred); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, bin string, cred *user) error {
	if cred != nil {
		if err := os.Chown(s.dir, cred.uid, cred.gid); err != nil {
			return fmt.Errorf("hand %s to %s: %w", s.dir, cred.name, err)
		}
	}
	data := filepath.Join(s.dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	cred.apply(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	return s.serve(ctx, bin, cred, data)
}

// serve starts the postmaster itself rather than through pg_ctl, so that it
// is this process's child: Pdeathsig stops it (SIGQUIT is PostgreSQL's
// immediate shutdown) even if the test binary dies without running Stop.
// fsync is off: the data is thrown away.
func (s *Server) serve(ctx context.Context, bin string, cred *user, data string) error {
	logFile, err := os.Create(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return fmt.Errorf("server log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	if cred != nil {
		_ = os.Chown(logFile.Name(), cred.uid, cred.gid) // only for reading it later
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(s.port),
		"-h", "127.0.0.1", "-k", s.dir, "-F", "-c", "max_connections=200", "-c", "full_page_writes=off",
		"-c", "synchronous_commit=off")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	cred.apply(s.cmd)
	stopWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	return s.waitReady(ctx)
}

// waitReady polls until the server accepts a connection, it exits, or ctx
// ends.
func (s *Server) waitReady(ctx context.Context) error {
	delay := 10 * time.Millisecond
	for {
		err := s.exec(ctx, `SELECT 1`)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			return fmt.Errorf("postgres exited: %s", log)
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections: %w", err)
		case <-time.After(delay):
			delay = min(2*delay, 200*time.Millisecond)
		}
	}
}

// URL is the connection URL of database name, over TCP on 127.0.0.1.
func (s *Server) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

// exec runs one statement as the superuser in the postgres database.
func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// prepareTemplate creates the template database and lets prepare fill it.
// It is marked a template so that copies may be made while nothing is
// connected to it.
func (s *Server) prepareTemplate(ctx context.Context, prepare func(context.Context, string) error) error {
	if err := s.exec(ctx, `CREATE DATABASE `+templateName); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	if err := prepare(ctx, s.URL(templateName)); err != nil {
		return fmt.Errorf("prepare template database: %w", err)
	}
	if err := s.exec(ctx, `ALTER DATABASE `+templateName+` WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`); err != nil {
		return fmt.Errorf("mark template database: %w", err)
	}
	s.template = templateName
	return nil
}

// Stop shuts the server down at once and removes its directory.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGQUIT) // immediate shutdown; nothing to keep
		<-s.exited
	}
	_ = os.RemoveAll(s.dir)
}

// binDir finds initdb: on PATH, else in Debian's versioned directory.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", errors.New("initdb is not on PATH nor under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another
// process could take it before the server binds it; the server would then
// exit and waitReady report it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	return port, nil
}

// Connect opens a connection to url for the test and closes it when the
// test ends.
func Connect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// removeOrphans removes the directories of servers whose test binary died
// without Stop (a test timeout panics past TestMain): the kernel stopped
// the server (Pdeathsig), but its files stay. A directory is named after
// the process that made it and is removed only when that process is gone.
func removeOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pgtest-*-*"))
	for _, dir := range dirs {
		pid, err := strconv.Atoi(strings.Split(filepath.Base(dir), "-")[1])
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(dir) // best effort; another run may be at it too
	}
}
