CREATE TABLE `approval_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`tool` text NOT NULL,
	`pattern` text NOT NULL,
	`approval_id` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approval_grants_tool_pattern_idx` ON `approval_grants` (`tool`,`pattern`);--> statement-breakpoint
CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`tool` text NOT NULL,
	`arguments` text NOT NULL,
	`subject` text NOT NULL,
	`grant_pattern` text NOT NULL,
	`session_id` text NOT NULL,
	`run_id` text NOT NULL,
	`tool_call_id` text NOT NULL,
	`answerers` text DEFAULT '[]' NOT NULL,
	`deliver_to` text DEFAULT '[]' NOT NULL,
	`state` text NOT NULL,
	`decision` text,
	`decided_by` text,
	`decided_at` integer,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approvals_code_idx` ON `approvals` (`code`);--> statement-breakpoint
CREATE INDEX `approvals_state_idx` ON `approvals` (`state`,`expires_at`);--> statement-breakpoint
CREATE INDEX `approvals_run_idx` ON `approvals` (`run_id`);--> statement-breakpoint
CREATE TABLE `paired_senders` (
	`platform` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text,
	`approved_by` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`platform`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `pairing_codes` (
	`code` text PRIMARY KEY NOT NULL,
	`platform` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text,
	`chat_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pairing_codes_sender_idx` ON `pairing_codes` (`platform`,`user_id`);--> statement-breakpoint
CREATE TABLE `tool_audit` (
	`id` text PRIMARY KEY NOT NULL,
	`approval_id` text,
	`tool` text NOT NULL,
	`arguments` text NOT NULL,
	`session_id` text NOT NULL,
	`run_id` text NOT NULL,
	`outcome` text NOT NULL,
	`decided_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tool_audit_created_idx` ON `tool_audit` (`created_at`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `buttons` text;