resource "google_service_account" "sccbot" {
  project      = var.project_id
  account_id   = var.name
  display_name = "sccbot: SCC findings in Slack"
}

locals {
  bot_member = "serviceAccount:${google_service_account.sccbot.email}"

  # The README's IAM table, row by row ("Least-privilege IAM for the bot's
  # service account"); deploy/terraform_test.go checks that the two say the
  # same. Scopes: subscription (the bot's subscription), findings (the SCC
  # parent), projects (each of workload_projects), organization, secrets
  # (each of the bot's secrets), host (project_id).
  bot_roles = {
    notifications      = { scope = "subscription", roles = ["roles/pubsub.subscriber"] }
    findings_read      = { scope = "findings", roles = ["roles/securitycenter.findingsViewer"] }
    scc_responses      = { scope = "findings", roles = ["roles/securitycenter.findingsMuteSetter", "roles/securitycenter.findingsStateSetter", "roles/securitycenter.findingSecurityMarksWriter"] }
    mute_rules         = { scope = "findings", roles = ["roles/securitycenter.muteConfigsEditor"] }
    logs               = { scope = "projects", roles = ["roles/logging.viewer"] }
    private_logs       = { scope = "projects", roles = ["roles/logging.privateLogViewer"] }
    gke                = { scope = "projects", roles = ["roles/container.clusterViewer"] }
    gke_responses_iam  = { scope = "projects", roles = ["roles/container.developer"] }
    cloudrun_responses = { scope = "projects", roles = ["roles/run.developer"] }
    page_owner         = { scope = "organization", roles = ["roles/essentialcontacts.viewer", "roles/iam.securityReviewer"] }
    cloudrun_secrets   = { scope = "secrets", roles = ["roles/secretmanager.secretAccessor"] }
    cloud_sql          = { scope = "host", roles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"] }
    evidence           = { scope = "bucket", roles = ["roles/storage.objectCreator"] }
  }

  # Which rows apply: the feature variables.
  bot_features = {
    notifications      = true
    findings_read      = var.enable_findings_read
    scc_responses      = var.enable_scc_responses
    mute_rules         = var.enable_mute_rules
    logs               = var.enable_logs
    private_logs       = var.enable_logs && var.enable_private_logs
    gke                = var.enable_gke
    gke_responses_iam  = var.enable_gke_responses_iam
    cloudrun_responses = var.enable_cloudrun_responses
    page_owner         = var.enable_page_owner
    cloudrun_secrets   = var.runtime == "cloudrun"
    cloud_sql          = var.cloud_sql.enabled
    evidence           = var.evidence.enabled
  }

  bot_grants = flatten([
    for feature, row in local.bot_roles : [
      for role in row.roles : { scope = row.scope, role = role }
    ] if local.bot_features[feature]
  ])

  roles_in = {
    for scope in ["subscription", "findings", "projects", "organization", "secrets", "host", "bucket"] :
    scope => toset([for g in local.bot_grants : g.role if g.scope == scope])
  }

  project_grants = {
    for pair in setproduct(var.workload_projects, local.roles_in["projects"]) :
    "${pair[0]} ${pair[1]}" => { project = pair[0], role = pair[1] }
  }

  secret_grants = {
    for pair in setproduct(keys(local.secrets), local.roles_in["secrets"]) :
    "${pair[0]} ${pair[1]}" => { secret = pair[0], role = pair[1] }
  }
}

resource "google_pubsub_subscription_iam_member" "bot" {
  for_each     = local.roles_in["subscription"]
  project      = var.project_id
  subscription = google_pubsub_subscription.findings.name
  role         = each.value
  member       = local.bot_member
}

resource "google_organization_iam_member" "bot_findings" {
  for_each = var.scc_parent == "organization" ? local.roles_in["findings"] : toset([])
  org_id   = var.organization_id
  role     = each.value
  member   = local.bot_member
}

resource "google_folder_iam_member" "bot_findings" {
  for_each = var.scc_parent == "folder" ? local.roles_in["findings"] : toset([])
  folder   = "folders/${var.folder_id}"
  role     = each.value
  member   = local.bot_member
}

resource "google_project_iam_member" "bot_findings" {
  for_each = var.scc_parent == "project" ? local.roles_in["findings"] : toset([])
  project  = var.project_id
  role     = each.value
  member   = local.bot_member
}

resource "google_project_iam_member" "bot_workloads" {
  for_each = local.project_grants
  project  = each.value.project
  role     = each.value.role
  member   = local.bot_member
}

resource "google_organization_iam_member" "bot_organization" {
  for_each = local.roles_in["organization"]
  org_id   = var.organization_id
  role     = each.value
  member   = local.bot_member
}

resource "google_secret_manager_secret_iam_member" "bot" {
  for_each  = local.secret_grants
  project   = var.project_id
  secret_id = google_secret_manager_secret.token[each.value.secret].secret_id
  role      = each.value.role
  member    = local.bot_member
}

resource "google_project_iam_member" "bot_host" {
  for_each = local.roles_in["host"]
  project  = var.project_id
  role     = each.value
  member   = local.bot_member
}

# GKE: the chart's Kubernetes service account acts as the bot's Google
# service account (Workload Identity).
resource "google_service_account_iam_member" "workload_identity" {
  count              = var.runtime == "gke" ? 1 : 0
  service_account_id = google_service_account.sccbot.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.gke_project}.svc.id.goog[${var.kubernetes_namespace}/${var.kubernetes_service_account}]"
}

locals {
  gke_project = var.gke_project_id != "" ? var.gke_project_id : var.project_id
}
