{{/* The release's full name, cut to the 63 characters a label value allows. */}}
{{- define "sccbot.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sccbot.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sccbot.labels" -}}
{{ include "sccbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sccbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "sccbot.fullname" .) -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sccbot.image" -}}
{{- $repo := required "image.repository is required: the registry path you pushed the sccbot image to" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/*
The checks every profile needs, rendered into the ConfigMap so that they run
on `helm template`, `helm install` and `helm lint` alike.
*/}}
{{- define "sccbot.validate" -}}
{{- if and (eq .Values.store.driver "sqlite") (gt (int .Values.replicaCount) 1) -}}
{{- fail (printf "replicaCount is %d but store.driver is sqlite: SQLite allows one replica (two pods must never share the file); set replicaCount: 1 or use store.driver: postgres" (int .Values.replicaCount)) -}}
{{- end -}}
{{- if not .Values.secrets.existingSecret -}}
{{- fail "secrets.existingSecret is required: the name of a Secret holding the Slack tokens (see the README, Deploying it)" -}}
{{- end -}}
{{- range $key := list "store" "ops" -}}
{{- if hasKey $.Values.config $key -}}
{{- fail (printf "config.%s is set by the chart (store.* and ops.port values): remove it from config" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The configuration file: the operator's config plus the store and ops sections the chart owns. */}}
{{- define "sccbot.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if eq .Values.store.driver "postgres" -}}
{{- $_ := set $cfg "store" (dict "driver" "postgres") -}}
{{- else -}}
{{- $_ := set $cfg "store" (dict "path" "/var/lib/sccbot/sccbot.db") -}}
{{- end -}}
{{- $_ := set $cfg "ops" (dict "listen" (printf ":%d" (int .Values.ops.port))) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The pod template both workload kinds share. */}}
{{- define "sccbot.podTemplate" -}}
metadata:
  labels:
    {{- include "sccbot.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Roll the pods when the configuration changes.
    checksum/config: {{ include "sccbot.config" . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "sccbot.serviceAccountName" . }}
  # The token stays mounted (the Kubernetes default): the bot makes no call
  # to this cluster's API and its service account has no RBAC, but Workload
  # Identity setups have been seen to fail without it.
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    fsGroupChangePolicy: OnRootMismatch
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: sccbot
      image: {{ include "sccbot.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: ["run", "--config", "/etc/sccbot/sccbot.yaml"]
      env:
        - name: SLACK_APP_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ .Values.secrets.existingSecret }}
              key: {{ .Values.secrets.slackAppTokenKey }}
        - name: SLACK_BOT_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ .Values.secrets.existingSecret }}
              key: {{ .Values.secrets.slackBotTokenKey }}
        {{- if .Values.secrets.pagerdutyRoutingKeyKey }}
        - name: PAGERDUTY_ROUTING_KEY
          valueFrom:
            secretKeyRef:
              name: {{ .Values.secrets.existingSecret }}
              key: {{ .Values.secrets.pagerdutyRoutingKeyKey }}
              optional: true
        {{- end }}
        {{- if eq .Values.store.driver "postgres" }}
        - name: SCCBOT_DATABASE_URL
          valueFrom:
            secretKeyRef:
              name: {{ .Values.secrets.existingSecret }}
              key: {{ .Values.secrets.databaseURLKey }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: metrics
          containerPort: {{ .Values.ops.port }}
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: metrics
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: metrics
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        privileged: false
        capabilities:
          drop: ["ALL"]
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: /etc/sccbot
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- if eq .Values.store.driver "sqlite" }}
        - name: data
          mountPath: /var/lib/sccbot
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "sccbot.fullname" . }}
    # The root filesystem is read-only; SQLite and Go may need scratch space.
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if and (eq .Values.store.driver "postgres") .Values.topologySpread.enabled }}
  topologySpreadConstraints:
    {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
    - topologyKey: {{ $key }}
      maxSkew: {{ $.Values.topologySpread.maxSkew }}
      whenUnsatisfiable: {{ $.Values.topologySpread.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "sccbot.selectorLabels" $ | nindent 10 }}
    {{- end }}
  {{- end }}
{{- end -}}
