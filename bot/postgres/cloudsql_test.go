package postgres

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/cloudsqlconn"
	"golang.org/x/oauth2"
)

// TestPostgresCloudSQLAsksForTheInstance points the Cloud SQL connector at
// a fake SQL Admin API that refuses every call: Open must fail (not hang),
// name the instance, and have asked the API about that instance with the
// service's token. A real Cloud SQL handshake (ephemeral certificates, the
// instance's TLS) needs Google; this checks the wiring up to it.
func TestPostgresCloudSQLAsksForTheInstance(t *testing.T) {
	var mu sync.Mutex
	var paths, auths []string
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths, auths = append(paths, r.URL.Path), append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error": {"code": 403, "message": "caller lacks cloudsql.instances.connect", "status": "PERMISSION_DENIED"}}`))
	}))
	defer admin.Close()
	token := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-token", Expiry: time.Now().Add(time.Hour)})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	db, err := Open(ctx, Options{CloudSQL: &CloudSQL{
		Instance: "my-project:europe-west1:sccbot", User: "sccbot@my-project.iam", Database: "sccbot",
		DialerOptions: []cloudsqlconn.Option{
			cloudsqlconn.WithAdminAPIEndpoint(admin.URL + "/"),
			cloudsqlconn.WithIAMAuthNTokenSources(token, token),
		},
	}})
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded against an admin API that refuses everything")
	}
	if !strings.Contains(err.Error(), "my-project:europe-west1:sccbot") {
		t.Errorf("error does not name the instance: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 {
		t.Fatal("the connector never called the admin API")
	}
	// The connector asks for the instance's settings and an ephemeral
	// certificate at once; each call must name the instance and carry the
	// service's token.
	for i, path := range paths {
		if want := "/sql/v1beta4/projects/my-project/instances/sccbot"; !strings.HasPrefix(path, want) || auths[i] != "Bearer test-token" {
			t.Errorf("admin call %s with %q, want %s... with the service's token", path, auths[i], want)
		}
	}
}
