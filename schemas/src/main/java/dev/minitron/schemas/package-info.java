/** The v1 wire contract. */
package dev.minitron.schemas;
