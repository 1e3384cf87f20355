{{- define "supportbot.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "supportbot.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "supportbot.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "supportbot.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "supportbot.fullname" .)) -}}
{{- end -}}

{{- define "supportbot.redisHost" -}}
{{- if .Values.redis.bundled -}}
{{- printf "%s-redis" (include "supportbot.fullname" .) -}}
{{- else -}}
{{- required "redis.external.host is required when redis.bundled is false" .Values.redis.external.host -}}
{{- end -}}
{{- end -}}

{{- define "supportbot.redisPort" -}}
{{- if .Values.redis.bundled }}6379{{ else }}{{ .Values.redis.external.port }}{{ end -}}
{{- end -}}

{{- define "supportbot.redisDb" -}}
{{- if .Values.redis.bundled }}0{{ else }}{{ .Values.redis.external.db }}{{ end -}}
{{- end -}}

{{/* The app's environment: settings from the ConfigMap, secrets from the Secret. */}}
{{- define "supportbot.appEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "supportbot.fullname" . }}-config
  - secretRef:
      name: {{ include "supportbot.secretName" . }}
{{- end -}}

{{- define "supportbot.image" -}}
image: {{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end -}}

{{/* Pods start once the migrate Job has applied every migration. */}}
{{- define "supportbot.waitForMigrations" -}}
- name: wait-for-migrations
  {{- include "supportbot.image" . | nindent 2 }}
  command: ["sh", "-c", "until python manage.py migrate --check >/dev/null 2>&1; do echo waiting for migrations; sleep 5; done"]
  {{- include "supportbot.appEnv" . | nindent 2 }}
{{- end -}}

{{- define "supportbot.modelCacheVolume" -}}
- name: model-cache
  {{- if .Values.modelCache.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.modelCache.existingClaim }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- end -}}
