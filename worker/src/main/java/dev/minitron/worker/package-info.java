/** The Minitron worker: Kafka in and out around one engine. */
package dev.minitron.worker;
