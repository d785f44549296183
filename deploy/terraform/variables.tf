variable "project_id" {
  description = "Project that hosts the bot: topic, subscription, service account, secrets and, optionally, the Cloud SQL instance."
  type        = string
}

variable "region" {
  description = "Region of the Artifact Registry repository, the Cloud SQL instance and a Cloud Run deployment."
  type        = string
  default     = "europe-west1"
}

variable "organization_id" {
  description = "Numeric ID of the organization: the parent of the notification config when scc_parent is organization, and where the Page owner roles are granted."
  type        = string
}

variable "scc_parent" {
  description = "Where the findings come from: organization, folder (set folder_id) or project (findings of project_id only)."
  type        = string
  default     = "organization"

  validation {
    condition     = contains(["organization", "folder", "project"], var.scc_parent)
    error_message = "scc_parent must be organization, folder or project."
  }
}

variable "folder_id" {
  description = "Numeric ID of the folder when scc_parent is folder."
  type        = string
  default     = ""
}

variable "notification_filter" {
  description = "SCC filter of the findings sent to the bot."
  type        = string
  default     = "state=\"ACTIVE\" AND finding_class=\"THREAT\""
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "sccbot"
}

variable "runtime" {
  description = "Where the bot runs: gke (Workload Identity for the chart's Kubernetes service account) or cloudrun (the service runs as the bot's service account and reads its tokens from Secret Manager)."
  type        = string
  default     = "gke"

  validation {
    condition     = contains(["gke", "cloudrun"], var.runtime)
    error_message = "runtime must be gke or cloudrun."
  }
}

variable "gke_project_id" {
  description = "Project of the GKE cluster the chart is installed in (its Workload Identity pool); defaults to project_id."
  type        = string
  default     = ""
}

variable "kubernetes_namespace" {
  description = "Namespace the chart is installed in."
  type        = string
  default     = "sccbot"
}

variable "kubernetes_service_account" {
  description = "Name of the chart's Kubernetes service account (the release's full name by default: sccbot for a release named sccbot)."
  type        = string
  default     = "sccbot"
}

variable "workload_projects" {
  description = "Projects whose GKE clusters and Cloud Run workloads raise findings: the Logs, GKE and Cloud Run roles are granted there."
  type        = list(string)
  default     = []
}

variable "ack_deadline_seconds" {
  description = "Pub/Sub ack deadline of the bot's subscription."
  type        = number
  default     = 60
}

variable "max_delivery_attempts" {
  description = "Deliveries of a message before it goes to the dead-letter topic (5 to 100)."
  type        = number
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100."
  }
}

# Features: each grants the roles of its row of the README's IAM table.

variable "enable_findings_read" {
  description = "Poll source, Related findings and /finding: read findings."
  type        = bool
  default     = true
}

variable "enable_scc_responses" {
  description = "Mute, Resolve and the outcome security marks."
  type        = bool
  default     = true
}

variable "enable_mute_rules" {
  description = "/finding mute-rule: create SCC mute rules (after approval, under the mute_rule policy)."
  type        = bool
  default     = false
}

variable "enable_logs" {
  description = "The Logs button (in workload_projects)."
  type        = bool
  default     = true
}

variable "enable_private_logs" {
  description = "The Logs button may read data-access audit logs too."
  type        = bool
  default     = false
}

variable "enable_gke" {
  description = "GKE findings: find each cluster's endpoint and CA (in workload_projects)."
  type        = bool
  default     = true
}

variable "enable_gke_responses_iam" {
  description = "Isolate, delete, cordon through roles/container.developer on workload_projects. Leave false and apply deploy/kubernetes/sccbot-responder.yaml in each cluster instead: Kubernetes RBAC grants far less."
  type        = bool
  default     = false
}

variable "enable_cloudrun_responses" {
  description = "Cloud Run: roll back a service, cancel a job execution (in workload_projects)."
  type        = bool
  default     = false
}

variable "enable_page_owner" {
  description = "Page owner: read Essential Contacts and IAM policies in the organization."
  type        = bool
  default     = false
}

variable "enable_pagerduty_secret" {
  description = "Create a Secret Manager secret for the PagerDuty routing key."
  type        = bool
  default     = false
}

variable "create_image_repository" {
  description = "Create an Artifact Registry repository for the image."
  type        = bool
  default     = true
}

variable "cloud_sql" {
  description = "Create a Cloud SQL for PostgreSQL instance with IAM database authentication (for store.driver postgres)."
  type = object({
    enabled          = bool
    tier             = optional(string, "db-custom-1-3840")
    database_version = optional(string, "POSTGRES_16")
    availability     = optional(string, "REGIONAL")
  })
  default = {
    enabled = false
  }
}

variable "enable_action_alerts" {
  description = "A log-based metric of failed response actions and a Cloud Monitoring alert policy on it."
  type        = bool
  default     = true
}

variable "alert_notification_channels" {
  description = "Cloud Monitoring notification channel IDs (projects/P/notificationChannels/N) for the failed-action alert."
  type        = list(string)
  default     = []
}

variable "evidence" {
  description = "Create the evidence bucket for collect_evidence (evidence.bucket in the bot's config) and let the bot create objects in it."
  type = object({
    enabled        = bool
    bucket         = optional(string, "")
    location       = optional(string, "US")
    retention_days = optional(number, 365)
    lock_retention = optional(bool, false)
  })
  default = {
    enabled = false
  }
}
