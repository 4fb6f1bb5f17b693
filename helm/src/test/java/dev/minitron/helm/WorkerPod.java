package dev.minitron.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Optional;

/** The worker Deployment's pod, read the way the tests ask about it. */
record WorkerPod(Deployment deployment) {

    static WorkerPod of(Manifests manifests) {
        return new WorkerPod(manifests.worker());
    }

    PodSpec spec() {
        return deployment.getSpec().getTemplate().getSpec();
    }

    Container container() {
        List<Container> containers = spec().getContainers();
        if (containers.size() != 1) {
            throw new AssertionError("expected one container, got " + containers.size());
        }
        return containers.getFirst();
    }

    Optional<EnvVar> findEnv(String name) {
        List<EnvVar> matches = container().getEnv().stream().filter(e -> e.getName().equals(name)).toList();
        if (matches.size() > 1) {
            throw new AssertionError(name + " is set " + matches.size() + " times");
        }
        return matches.stream().findFirst();
    }

    EnvVar env(String name) {
        return findEnv(name).orElseThrow(() -> new AssertionError("no env " + name));
    }

    String envValue(String name) {
        EnvVar env = env(name);
        if (env.getValue() == null) {
            throw new AssertionError(name + " has no literal value");
        }
        return env.getValue();
    }

    int containerPort(String portName) {
        return container().getPorts().stream().filter(p -> portName.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port " + portName)).getContainerPort();
    }
}
