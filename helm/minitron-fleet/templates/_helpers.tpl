{{/* Names, labels and the checks every template relies on. */}}

{{- define "minitron-fleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "minitron-fleet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The worker's resources: <fullname>-worker. */}}
{{- define "minitron-fleet.worker.fullname" -}}
{{- printf "%s-worker" (include "minitron-fleet.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The gateway's resources: <fullname>-gateway. */}}
{{- define "minitron-fleet.gateway.fullname" -}}
{{- printf "%s-gateway" (include "minitron-fleet.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "minitron-fleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "minitron-fleet.labels" -}}
helm.sh/chart: {{ include "minitron-fleet.chart" . }}
app.kubernetes.io/name: {{ include "minitron-fleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: minitron-fleet
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "worker"). */}}
{{- define "minitron-fleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "minitron-fleet.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "minitron-fleet.componentLabels" -}}
{{ include "minitron-fleet.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "minitron-fleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "minitron-fleet.worker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "minitron-fleet.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Seconds kubelet waits after preStop + SIGTERM: the drain must end well inside it. */}}
{{- define "minitron-fleet.terminationGracePeriodSeconds" -}}
{{- $w := .Values.worker -}}
{{- $minimum := add $w.preStop.sleepSeconds $w.shutdownGraceSeconds 15 -}}
{{- if gt (int $w.terminationGracePeriodSeconds) 0 -}}
{{- if le (int $w.terminationGracePeriodSeconds) (int $minimum) -}}
{{- fail (printf "worker.terminationGracePeriodSeconds=%d is too short: it must exceed preStop.sleepSeconds + shutdownGraceSeconds + 15 = %d, or in-flight generations are killed mid-drain" (int $w.terminationGracePeriodSeconds) (int $minimum)) -}}
{{- end -}}
{{- $w.terminationGracePeriodSeconds -}}
{{- else -}}
{{- add $w.preStop.sleepSeconds $w.shutdownGraceSeconds 30 -}}
{{- end -}}
{{- end -}}

{{/* Kafka security.protocol from the TLS and SASL switches. */}}
{{- define "minitron-fleet.kafka.securityProtocol" -}}
{{- $k := .Values.kafka -}}
{{- if and $k.sasl.enabled $k.tls.enabled -}}SASL_SSL
{{- else if $k.sasl.enabled -}}SASL_PLAINTEXT
{{- else if $k.tls.enabled -}}SSL
{{- else -}}PLAINTEXT
{{- end -}}
{{- end -}}

{{/* Fails with a readable message when a switched-on feature lacks what it needs. */}}
{{- define "minitron-fleet.validate" -}}
{{- $k := .Values.kafka -}}
{{- $_ := required "kafka.bootstrapServers is required: the Kafka cluster's host:port list, e.g. --set kafka.bootstrapServers=my-kafka:9092" $k.bootstrapServers -}}
{{- if $k.sasl.enabled -}}
{{- $_ := required "kafka.sasl.existingSecret is required when kafka.sasl.enabled: the Secret with the Kafka credentials" $k.sasl.existingSecret -}}
{{- if and (eq $k.sasl.mechanism "OAUTHBEARER") (not $k.sasl.jaasConfigKey) -}}
{{- $_ := required "kafka.sasl.oauthbearer.tokenEndpointUrl is required for SASL OAUTHBEARER" $k.sasl.oauthbearer.tokenEndpointUrl -}}
{{- end -}}
{{- end -}}
{{- if $k.tls.enabled -}}
{{- $_ := required "kafka.tls.existingSecret is required when kafka.tls.enabled: the Secret with the CA certificate" $k.tls.existingSecret -}}
{{- if ne (empty $k.tls.certKey) (empty $k.tls.keyKey) -}}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together: set both for mutual TLS, or neither" -}}
{{- end -}}
{{- end -}}
{{- if eq .Values.model.source "pvc" "copy" -}}
{{- $_ := required (printf "model.pvc.claimName is required when model.source=%s: the PersistentVolumeClaim that holds the checkpoint" .Values.model.source) .Values.model.pvc.claimName -}}
{{- end -}}
{{- if eq .Values.model.source "hostPath" -}}
{{- $_ := required "model.hostPath.path is required when model.source=hostPath: the node directory that holds the checkpoint" .Values.model.hostPath.path -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%d) exceeds autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- end -}}

{{/* Which autoscaler renders: "keda", "hpa" or "" (none). */}}
{{- define "minitron-fleet.autoscaler" -}}
{{- $a := .Values.autoscaling -}}
{{- if $a.enabled -}}
{{- if eq $a.engine "auto" -}}
{{- if .Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject" -}}keda{{- else -}}hpa{{- end -}}
{{- else -}}
{{- $a.engine -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* KEDA's name for a SASL mechanism. */}}
{{- define "minitron-fleet.keda.sasl" -}}
{{- get (dict "PLAIN" "plaintext" "SCRAM-SHA-256" "scram_sha256" "SCRAM-SHA-512" "scram_sha512" "OAUTHBEARER" "oauthbearer") .Values.kafka.sasl.mechanism -}}
{{- end -}}

{{/*
Kafka client settings as environment variables. The worker (Quarkus) turns every KAFKA_* variable
into a kafka.* client property: lower case, "_" becomes ".". Secrets are referenced, never inlined;
the JAAS line picks the credentials up by Kubernetes' $(VAR) expansion. SASL_USERNAME/SASL_PASSWORD
carry neither a KAFKA_ nor a MINITRON_ prefix, so no config root reads them. (dict "ctx" $ "job" bool)
*/}}
{{- define "minitron-fleet.kafka.env" -}}
{{- $k := .ctx.Values.kafka -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $k.bootstrapServers | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ include "minitron-fleet.kafka.securityProtocol" .ctx }}
{{- if $k.sasl.enabled }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $k.sasl.mechanism | quote }}
{{- if $k.sasl.jaasConfigKey }}
- name: KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.existingSecret }}
      key: {{ $k.sasl.jaasConfigKey }}
{{- else }}
- name: SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.existingSecret }}
      key: {{ $k.sasl.usernameKey }}
- name: SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.existingSecret }}
      key: {{ $k.sasl.passwordKey }}
{{- if eq $k.sasl.mechanism "PLAIN" }}
- name: KAFKA_SASL_JAAS_CONFIG
  value: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="$(SASL_USERNAME)" password="$(SASL_PASSWORD)";'
{{- else if eq $k.sasl.mechanism "OAUTHBEARER" }}
- name: KAFKA_SASL_JAAS_CONFIG
  value: 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="$(SASL_USERNAME)" clientSecret="$(SASL_PASSWORD)"{{ with $k.sasl.oauthbearer.scope }} scope="{{ . }}"{{ end }};'
{{- else }}
- name: KAFKA_SASL_JAAS_CONFIG
  value: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="$(SASL_USERNAME)" password="$(SASL_PASSWORD)";'
{{- end }}
{{- end }}
{{- if eq $k.sasl.mechanism "OAUTHBEARER" }}
{{- with $k.sasl.oauthbearer.tokenEndpointUrl }}
- name: KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
- name: KAFKA_SASL_LOGIN_CALLBACK_HANDLER_CLASS
  value: org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler
{{- end }}
{{- end }}
{{- if $k.tls.enabled }}
- name: KAFKA_SSL_TRUSTSTORE_TYPE
  value: PEM
- name: KAFKA_SSL_TRUSTSTORE_LOCATION
  value: /etc/minitron/kafka-tls/{{ $k.tls.caKey }}
{{- if and $k.tls.certKey (not .job) }}
- name: KAFKA_SSL_KEYSTORE_TYPE
  value: PEM
- name: KAFKA_SSL_KEYSTORE_CERTIFICATE_CHAIN
  valueFrom:
    secretKeyRef:
      name: {{ $k.tls.existingSecret }}
      key: {{ $k.tls.certKey }}
- name: KAFKA_SSL_KEYSTORE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $k.tls.existingSecret }}
      key: {{ $k.tls.keyKey }}
{{- end }}
{{- end }}
{{- range $name, $value := $k.extraProperties }}
- name: {{ printf "KAFKA_%s" ($name | upper | replace "." "_" | replace "-" "_") }}
  value: {{ include "minitron-fleet.scalar" $value | quote }}
{{- end }}
{{- end -}}

{{/* JVM system properties the Kafka client needs (OAuth token endpoint allow-list). */}}
{{- define "minitron-fleet.kafka.jvmOptions" -}}
{{- $k := .Values.kafka -}}
{{- if and $k.sasl.enabled (eq $k.sasl.mechanism "OAUTHBEARER") $k.sasl.oauthbearer.tokenEndpointUrl -}}
-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={{ $k.sasl.oauthbearer.tokenEndpointUrl }}
{{- end -}}
{{- end -}}

{{/*
Scale-down that lets generations drain: one worker at a time, no faster than one drain
(preStop + shutdownGrace) per step, after a stabilization window. Scale-up is prompt.
*/}}
{{- define "minitron-fleet.hpaBehavior" -}}
scaleDown:
  stabilizationWindowSeconds: {{ .Values.autoscaling.scaleDownStabilizationSeconds }}
  selectPolicy: Min
  policies:
    - type: Pods
      value: 1
      periodSeconds: {{ max 15 (min 1800 (add .Values.worker.preStop.sleepSeconds .Values.worker.shutdownGraceSeconds)) }}
scaleUp:
  stabilizationWindowSeconds: 0
  selectPolicy: Max
  policies:
    - type: Pods
      value: 4
      periodSeconds: 60
    - type: Percent
      value: 100
      periodSeconds: 60
{{- end -}}

{{/* A values scalar as text; whole numbers stay whole (YAML numbers arrive as float64). */}}
{{- define "minitron-fleet.scalar" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}
