/** JSON on the wire: the configured Jackson mapper, the v1 JSON Schemas, date-time handling. */
package dev.minitron.schemas.json;
