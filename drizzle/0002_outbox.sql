CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`platform` text NOT NULL,
	`chat_id` text NOT NULL,
	`thread_id` text DEFAULT '' NOT NULL,
	`reply_to` text,
	`text` text NOT NULL,
	`run_id` text,
	`idempotency_key` text,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`platform_message_ids` text DEFAULT '[]' NOT NULL,
	`lease_until` integer,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`reported_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_idempotency_idx` ON `deliveries` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `deliveries_open_idx` ON `deliveries` (`platform`,`chat_id`,`thread_id`,`id`) WHERE "state" in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX `deliveries_state_idx` ON `deliveries` (`state`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_created_idx` ON `deliveries` (`created_at`);--> statement-breakpoint
ALTER TABLE `runs` ADD `deliver_to` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `silent_reply` text;