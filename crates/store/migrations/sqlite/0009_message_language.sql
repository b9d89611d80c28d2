-- The language a person reads messages in (e-mail and SMS templates exist in Chinese and English);
-- chosen under "消息设置 / Message settings". People without an account are written to in Chinese.
ALTER TABLE users ADD COLUMN message_lang TEXT NOT NULL DEFAULT 'zh';
