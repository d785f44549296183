# Failed response actions. The bot writes every audit event as a JSON log
# line (message "audit", event, action, ...); this counts the "failed" ones
# in Cloud Logging, wherever the bot runs (GKE or Cloud Run), and alerts on
# them in Cloud Monitoring.

resource "google_logging_metric" "actions_failed" {
  count   = var.enable_action_alerts ? 1 : 0
  project = var.project_id
  name    = "${var.name}-actions-failed"
  filter  = "jsonPayload.message=\"audit\" AND jsonPayload.event=\"failed\" AND resource.type=(\"k8s_container\" OR \"cloud_run_revision\")"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    labels {
      key         = "action"
      value_type  = "STRING"
      description = "The response action that failed (isolate_pod, cloudrun_rollback, ...)."
    }
  }

  label_extractors = {
    action = "EXTRACT(jsonPayload.action)"
  }
}

resource "google_monitoring_alert_policy" "actions_failed" {
  count                 = var.enable_action_alerts ? 1 : 0
  project               = var.project_id
  display_name          = "sccbot: a response action failed"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = "Failed sccbot actions"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.actions_failed[0].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.action"]
      }
    }
  }

  documentation {
    content   = "An approved sccbot response failed: the workload may still be running. The finding's Slack thread and `sccbot audit --since 1h` say which and why."
    mime_type = "text/markdown"
  }
}
