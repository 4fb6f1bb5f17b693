package dev.minitron.helm.crd;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;

/** KEDA's TriggerAuthentication, the secret-reference part (https://keda.sh/docs/2.18/concepts/authentication/). */
public record TriggerAuthentication(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public record Spec(List<SecretTargetRef> secretTargetRef) {
    }

    public record SecretTargetRef(String parameter, String name, String key) {
    }
}
