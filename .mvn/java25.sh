# Minitron Fleet needs Java 25 (release 25, Vector API, FFM). Sourced by ./mvnw, ./minitron and
# .ci/run (POSIX sh): keeps a JAVA_HOME that already points at 25+, else looks in the usual places,
# else stops with a message that says how to get one. JDK 17 is often the system default, so PATH
# is never trusted. Exports JAVA_HOME.
minitron_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}
minitron_is_java25() {
  [ -n "${1-}" ] && [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1   # a JDK, not a JRE
  minitron_major="$(minitron_java_major "$1")"
  [ -n "$minitron_major" ] && [ "$minitron_major" -ge 25 ]
}
if ! minitron_is_java25 "${JAVA_HOME-}"; then
  for minitron_candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/jdk-25* /opt/java/openjdk; do
    if minitron_is_java25 "$minitron_candidate"; then
      JAVA_HOME="$minitron_candidate"
      break
    fi
  done
fi
if ! minitron_is_java25 "${JAVA_HOME-}"; then
  echo "${0##*/}: Minitron Fleet needs a Java 25 JDK and found none." >&2
  echo "      Install one (Debian: Eclipse Temurin 25 from https://adoptium.net, or 'apt-get install temurin-25-jdk'" >&2
  echo "      from the Adoptium apt repository) and set JAVA_HOME to it, e.g." >&2
  echo "      export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64" >&2
  exit 1
fi
export JAVA_HOME
