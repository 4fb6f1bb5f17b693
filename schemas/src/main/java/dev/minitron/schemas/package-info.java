/**
 * The v1 wire contract: one record per event on the Minitron topics, the enums of their closed
 * sets, and the topic names. The JSON Schemas under {@code minitron/schemas/v1/} are the
 * normative form; these records, the schemas and the golden examples are tested to agree.
 */
package dev.minitron.schemas;
