import type { FormField } from '../../core/model.js';
import type { IntentClassifier } from '../nlu/classifier.js';
import type { ChoiceOption, Constraints, EntitySpec } from '../nlu/entities/index.js';
import type { SystemCommands } from '../nlu/system.js';
import type {
  ConditionNodeDef,
  ConfirmNodeDef,
  EndNodeDef,
  FlowNodeDef,
  FormNodeDef,
  HandoffNodeDef,
  HttpNodeDef,
  MessageNodeDef,
  PromptNodeDef,
  SetNodeDef,
} from './schema.js';
import type { MessageKey, SystemIntent } from './bot-schema.js';

/** A bot definition after validation: what the engine runs. Immutable; shared by every conversation. */

/** Where a node goes next: a node id of the same flow, or `end`. */
export const END = 'end';

interface Base {
  readonly id: string;
  readonly next: string;
}

/** A value to read from the user: a prompt's entity, or a form field asked on its own. */
export interface Ask {
  readonly spec: EntitySpec;
  readonly constraints: Constraints;
  /** The options to show as quick replies or buttons (choices, yes/no). */
  readonly options?: readonly ChoiceOption[];
}

export interface CompiledField extends Ask {
  readonly field: FormField;
  /** The question when the field is asked on its own. */
  readonly question: string;
}

export type CompiledNode =
  | (Base & { readonly type: 'message'; readonly def: MessageNodeDef })
  | (Base & { readonly type: 'prompt'; readonly def: PromptNodeDef; readonly ask: Ask })
  | (Base & { readonly type: 'confirm'; readonly def: ConfirmNodeDef })
  | (Base & { readonly type: 'form'; readonly def: FormNodeDef; readonly fields: readonly CompiledField[] })
  | (Base & { readonly type: 'condition'; readonly def: ConditionNodeDef })
  | (Base & { readonly type: 'set'; readonly def: SetNodeDef })
  | (Base & { readonly type: 'http'; readonly def: HttpNodeDef })
  | (Base & { readonly type: 'handoff'; readonly def: HandoffNodeDef })
  | (Base & { readonly type: 'flow'; readonly def: FlowNodeDef })
  | (Base & { readonly type: 'end'; readonly def: EndNodeDef });

export interface CompiledFlow {
  readonly id: string;
  readonly title: string;
  readonly interruptible: boolean;
  readonly resumeText?: string;
  readonly start: string;
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** Waits for the user somewhere (prompt, confirm, form, sub-flow): gets flow events and a step history. */
  readonly interactive: boolean;
  /** Has a node that calls out, so reaching it needs a turn that is not inline. */
  readonly callsOut: boolean;
}

export interface NluSettings {
  /** Below this score nothing is understood. */
  readonly threshold: number;
  /** The two best intents closer than this: ask which one. */
  readonly ambiguityMargin: number;
  /** An intent must score this much to interrupt a flow waiting for a typed answer. */
  readonly interruptThreshold: number;
}

export interface CompiledBot {
  readonly name: string;
  readonly timeZone: string;
  readonly country: string;
  readonly secrets: readonly string[];
  readonly nlu: NluSettings;
  readonly retries: number;
  readonly flows: ReadonlyMap<string, CompiledFlow>;
  readonly classifier: IntentClassifier;
  readonly commands: SystemCommands;
  readonly system: Readonly<Partial<Record<SystemIntent, string>>>;
  readonly messages: Readonly<Record<MessageKey, string>>;
  readonly welcome?: string;
  readonly fallback?: string;
  readonly noAgent?: string;
  readonly variables: { readonly session: Readonly<Record<string, unknown>>; readonly user: Readonly<Record<string, unknown>> };
  readonly stats: { readonly flows: number; readonly intents: number; readonly examples: number; readonly nodes: number };
}

/** Intent names of system intents in the classifier (flow ids cannot contain ":"). */
export const systemIntentName = (s: SystemIntent): string => `system:${s}`;

export const DEFAULT_MESSAGES: Readonly<Record<MessageKey, string>> = {
  fallback: "Sorry, I didn't understand that. Say \"help\" to see what I can do.",
  ambiguous: 'Did you mean one of these?',
  help: 'Here is what I can help with:',
  cancelled: 'OK, I stopped that.',
  nothingToCancel: 'There is nothing to cancel.',
  cannotGoBack: 'There is no earlier step to go back to.',
  startingOver: "Let's start over.",
  handoff: 'I am handing you over to a human agent.',
  resume: 'Back to {{flow.title}}.',
  retry: "Sorry, I didn't get that.",
  tooManyRetries: "Sorry, I still didn't get that, so I stopped here.",
  formIncomplete: 'Some answers need another look:',
  formPending: 'Please fill in the form above, or say "cancel".',
  serviceError: 'Sorry, a system I need is not answering right now. Please try again later.',
  skipped: 'OK, skipped.',
  agentLeft: 'You are back with the virtual assistant. How else can I help?',
  noAgent: 'Sorry, no agent is free right now.',
};
