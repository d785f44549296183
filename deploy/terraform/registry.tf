# Optional: a Docker repository for the image built from the Dockerfile.
resource "google_artifact_registry_repository" "image" {
  count         = var.create_image_repository ? 1 : 0
  project       = var.project_id
  location      = var.region
  repository_id = var.name
  format        = "DOCKER"
  description   = "sccbot images"
}
