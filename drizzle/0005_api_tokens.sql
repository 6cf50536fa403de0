CREATE TABLE `api_tokens` (
	`name` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`key` blob NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_key_id_idx` ON `api_tokens` (`key_id`);--> statement-breakpoint
CREATE TABLE `session_owners` (
	`session_id` text PRIMARY KEY NOT NULL,
	`token_name` text NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `session_owners_token_idx` ON `session_owners` (`token_name`);