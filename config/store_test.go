package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/config"
)

const storeBase = "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\n"

func TestStoreDriver(t *testing.T) {
	tests := []struct {
		name, store string
		want        []string // problems, without line numbers; none means valid
	}{
		{"default is sqlite", ``, nil},
		{"postgres with a URL from the environment", `{driver: postgres}`, nil},
		{"driver case folded", `{driver: Postgres}`, nil},
		{"cloud sql", `{driver: postgres, cloudsql_instance: "my-project:europe-west1:sccbot", cloudsql_user: sccbot@my-project.iam}`, nil},
		{"domain-scoped project", `{driver: postgres, cloudsql_instance: "example.com:proj:us-central1:db", cloudsql_user: u@proj.iam}`, nil},
		{"unknown driver", `{driver: mysql}`, []string{`store.driver: "mysql" is not a store driver (sqlite, postgres)`}},
		{"cloud sql keys with sqlite", `{cloudsql_instance: "p:europe-west1:i"}`,
			[]string{`store.cloudsql_instance: only with driver: postgres (the driver is sqlite)`}},
		{"instance without user", `{driver: postgres, cloudsql_instance: "p:europe-west1:i"}`,
			[]string{`store.cloudsql_user: required with store.cloudsql_instance: the IAM database user, a service account's e-mail without .gserviceaccount.com (sccbot@PROJECT.iam)`}},
		{"instance as a URL", `{driver: postgres, cloudsql_instance: "projects/p/instances/i", cloudsql_user: u@p.iam}`,
			[]string{`store.cloudsql_instance: "projects/p/instances/i" is not an instance connection name: write PROJECT:REGION:INSTANCE, as gcloud sql instances describe shows it`}},
		{"user with the service account suffix", `{driver: postgres, cloudsql_instance: "p:europe-west1:i", cloudsql_user: u@p.iam.gserviceaccount.com}`,
			[]string{`store.cloudsql_user: drop .gserviceaccount.com: Cloud SQL names an IAM service account user "u@p.iam"`}},
		{"user without instance", `{driver: postgres, cloudsql_user: u@p.iam}`, []string{`store.cloudsql_user: only with store.cloudsql_instance`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := storeBase
			if tt.store != "" {
				data += "store: " + tt.store + "\n"
			}
			cfg, err := config.Load([]byte(data))
			var got []string
			var ps config.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					got = append(got, p.Path+": "+p.Message)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
			if err == nil && cfg.Store.Driver != config.StoreSQLite && cfg.Store.Driver != config.StorePostgres {
				t.Errorf("driver %q not normalised", cfg.Store.Driver)
			}
		})
	}
}

func TestCheckStoreEnv(t *testing.T) {
	const secret = "pw-S3cr3t"
	postgres := config.Store{Driver: config.StorePostgres}
	cloud := config.Store{Driver: config.StorePostgres, CloudSQLInstance: "p:europe-west1:i", CloudSQLUser: "u@p.iam"}
	tests := []struct {
		name  string
		store config.Store
		url   string
		want  string // the problem's message start; "" for none
	}{
		{"sqlite needs nothing", config.Store{Driver: config.StoreSQLite}, "", ""},
		{"url", postgres, "postgres://sccbot:" + secret + "@db:5432/sccbot", ""},
		{"key value", postgres, "host=db dbname=sccbot password=" + secret, ""},
		{"cloud sql", cloud, "", ""},
		{"missing", postgres, "", "required with store.driver postgres"},
		{"both", cloud, "postgres://db/sccbot", "set with store.cloudsql_instance too"},
		{"not a connection string", postgres, "db.example.com:" + secret, "is not a libpq connection string"},
		{"whitespace", postgres, " postgres://u:" + secret + "@db/x", "has leading or trailing whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := config.CheckStoreEnv(tt.store, func(k string) string {
				if k == config.EnvDatabaseURL {
					return tt.url
				}
				return ""
			})
			if tt.want == "" {
				if len(ps) != 0 {
					t.Errorf("problems %v, want none", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Path != config.EnvDatabaseURL || !strings.HasPrefix(ps[0].Message, tt.want) {
				t.Fatalf("problems %v, want one on %s starting %q", ps, config.EnvDatabaseURL, tt.want)
			}
			if strings.Contains(ps.Error(), secret) {
				t.Errorf("the problem echoes the URL's secret: %v", ps)
			}
		})
	}
}
