//! Registering a request (受理).

use super::*;

impl Ticket {
    /// Registers a request; validates what the requester can get wrong.
    pub fn receive(
        id: i64,
        number: String,
        intake: Intake,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(Ticket, TicketEntry), TicketError> {
        let content = intake.content.trim();
        check_content(content).map_err(TicketError::Invalid)?;
        if intake.category.level1.trim().is_empty() || intake.category.level2.trim().is_empty() {
            return invalid(
                Msg::new(
                    "category_needed",
                    "请选择诉求分类（一级分类和二级分类都要选）",
                    "choose a category (both levels)",
                )
                .at("category"),
            );
        }
        if let Some(l) = &intake.location
            && (!(-90.0..=90.0).contains(&l.lat) || !(-180.0..=180.0).contains(&l.lon))
        {
            return invalid(
                Msg::new(
                    "coordinates_out_of_range",
                    "位置坐标超出范围：纬度须在−90至90之间，经度须在−180至180之间，请重新选择位置",
                    "the coordinates are out of range: latitude −90…90, longitude −180…180",
                )
                .at("lat"),
            );
        }
        let entry = TicketEntry {
            at: now,
            actor: actor.clone(),
            event: TicketEvent::Received {
                channel: intake.channel,
                kind: intake.kind,
                category: intake.category.clone(),
                content: content.to_owned(),
                location: intake.location.clone(),
                requester: intake.requester.clone(),
                urgency: intake.urgency,
                attachments: intake.attachments.clone(),
                attributes: intake.attributes.clone(),
            },
        };
        let mut summoned: Vec<Code> = Vec::new();
        for d in &intake.summoned {
            if !summoned.contains(d) {
                summoned.push(d.clone());
            }
        }
        // A grid event starts with its grid; everything else goes to the centre.
        let holder = match intake.channel {
            TicketChannel::Grid => intake.grid.clone(),
            _ => None,
        };
        let ticket = Ticket {
            id,
            number,
            channel: intake.channel,
            kind: intake.kind,
            category: intake.category,
            content: content.to_owned(),
            location: intake.location,
            requester: intake.requester,
            urgency: intake.urgency,
            attachments: intake.attachments,
            status: TicketStatus::Received,
            received_at: now,
            lead: None,
            assisting: Vec::new(),
            sla: None,
            dispatched_at: None,
            signed_at: None,
            first_feedback_at: None,
            replied_at: None,
            closed_at: None,
            answer: None,
            extensions: Vec::new(),
            pending_extension: None,
            returns: 0,
            reopens: 0,
            satisfaction: None,
            solved: None,
            merged_into: None,
            supervision: None,
            alarms: Vec::new(),
            grid: intake.grid,
            holder,
            summoned,
            reports: Vec::new(),
            attributes: intake.attributes,
            version: 1,
        };
        Ok((ticket, entry))
    }
}

/// What a request's description must be: a few words at least, not a document. Forms check it with
/// the rest of their fields so every mistake shows at once; `receive` holds to it whoever calls.
pub fn check_content(content: &str) -> Result<(), Msg> {
    let n = content.trim().chars().count();
    if n < 4 {
        return Err(Msg::new(
            "content_too_short",
            "请用几句话说明诉求内容（至少4个字）",
            "describe the matter in a few words (at least 4 characters)",
        )
        .at("content"));
    }
    if n > 4_000 {
        return Err(Msg::new(
            "content_too_long",
            "诉求内容超过4000字，请精简，详细材料请以附件上传",
            "the description is longer than 4,000 characters; attach documents instead",
        )
        .at("content"));
    }
    Ok(())
}
