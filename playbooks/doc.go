// Package playbooks holds sccbot's response playbooks as data: one YAML file
// per Security Command Center finding category (Container Threat Detection,
// Cloud Run Threat Detection, and the Event Threat Detection rules about GKE
// and Cloud Run), plus a generic playbook for every other finding. A
// playbook says what to review, which Cloud Logging queries to run per
// product, which ATT&CK techniques to read, which responses fit (one of
// them suggested per product) and where Google documents the finding.
// Checklist turns a playbook and a finding into the step-by-step procedure
// of Google's per-finding guides, with the finding's own values filled in.
//
// # Files
//
// The playbooks are embedded (data/*.yaml). Operators add or replace
// playbooks with files in a directory (LoadDir): a file whose category is
// an embedded playbook's category replaces that playbook, any other
// category adds one, and a file with `generic: true` replaces the generic
// playbook. Lint (and LintCommand, behind `sccbot playbooks lint DIR`)
// checks such a directory as LoadDir would load it, and names the file,
// field and line of every problem. A replacement replaces the whole
// playbook, its aliases and module names included. The schema (every key but the marked ones is
// optional):
//
//	category: "Execution: Container Escape"   # required, unless generic: true
//	generic: false                             # the fallback playbook; no category
//	aliases: ["other spelling"]                # other spellings of the category
//	modules: [CONTAINER_ESCAPE]                # detector module names (UPPER_SNAKE)
//	sources: ["Container Threat Detection"]    # the detection services
//	products: [gke, cloud_run]                 # required: gke, cloud_run, other
//	summary: one line                          # required
//	review:                                    # required: what to look at
//	  - label: Program binary                  # required
//	    value: binary                          # a finding value (see below)
//	    json: finding.processes[].binary.path  # where it is in the finding JSON
//	    why: is it part of the image?          # required
//	    optional: false                        # hide when the finding lacks the value
//	    products: [gke]                        # only for these products
//	queries:                                   # per product
//	  gke:
//	    - title: Container logs of the pod     # required
//	      when: pod                            # run only when the finding has a pod
//	      filter: |                            # required: one restriction a line
//	        resource.type="k8s_container"
//	        resource.labels.pod_name={{pod}}
//	techniques: [T1611]                        # required, except for generic
//	responses:                                 # required for every product
//	  gke:
//	    - action: cordon_node
//	      suggested: true                      # exactly one per product
//	    - action: page_owner
//	docs:                                      # Google's page, per product
//	  gke: {url: "https://...", verified: true}
//	steps:                                     # checks specific to the finding
//	  all: ["..."]                             # for every product
//	  gke: ["..."]
//
// # Placeholders
//
// Filters name finding values as {{project}}, {{location}}, {{cluster}},
// {{namespace}}, {{pod}}, {{container}}, {{node}}, {{service}},
// {{revision}}, {{job}}, {{execution}}, {{resource}} (the full resource
// name), {{resource_path}} (the same without its //service.googleapis.com/
// prefix, the form audit logs use), {{binary}} and {{image}}. Each expands
// to bot.QuoteFilter of the value, quotes included, so a template is
// written `resource.labels.pod_name={{pod}}` and a value can never leave its
// string literal. {{logname:SUFFIX}} expands to the one quoted literal
// "projects/PROJECT/logs/SUFFIX", for audit log names such as
// cloudaudit.googleapis.com%2Factivity whose project sits inside the
// string. A placeholder inside a quoted string is an error, so there is no
// other way for a finding value to reach a filter. A query whose values are
// missing from the finding is not run, and the checklist says which value
// was missing; `when` names a value without which the query does not apply
// at all (job queries for a service finding), and is then skipped quietly.
//
// Shell commands in the checklist are built in Go, every value through
// bot.ShellQuote. A command is withheld, with a note, when a value holds
// control or invisible characters or invalid UTF-8 (the $'...' quoting that
// needs is not POSIX, and invisible characters make a pasted line differ
// from the one shown), or when a positional value starts with "-" (the tool
// would read it as an option).
//
// # Review values
//
// review[].value names one of the placeholders above or args (the command
// line), parent (the parent process's command line), sha256, indicator (the
// finding's URIs, domains and IPs), severity, event_time, contacts, source,
// module, description or next_steps.
//
// # Responses
//
// Actions are isolate_pod, delete_pod and cordon_node (GKE),
// cloudrun_rollback (move traffic to the last good revision, then delete
// the compromised one) and cloudrun_cancel_execution (Cloud Run), and
// page_owner, mute and resolve (any product). When the suggested action
// cannot apply to a finding (a rollback for a Cloud Run job, a pod action
// without a pod name), ResponsesFor moves the suggestion to the first
// action in the list that can.
//
// # Google's pages
//
// docs[].verified records whether the URL was seen to exist. Checklist
// always links the page and, for an unverified one, also the threat
// findings index, which lists every finding with a working link: a wrong
// guess then costs one extra click instead of a dead end.
//
// # GKE node logs
//
// A finding names its node (VM_Instance_Name), not the numeric instance id
// that resource.type="gce_instance" is keyed by. The playbooks therefore
// read node logs through resource.type="k8s_node" (keyed by node name) and
// the serial console through labels."compute.googleapis.com/resource_name",
// which Compute Engine sets to the instance name on its log entries; no
// lookup of the instance id is needed.
package playbooks
