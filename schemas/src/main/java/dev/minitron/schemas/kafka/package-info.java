/** Kafka serializers and deserializers for the v1 events. */
package dev.minitron.schemas.kafka;
